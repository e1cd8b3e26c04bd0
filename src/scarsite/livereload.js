// Reloads the page once the server has a build other than the one the page came from.
(() => {
  const epoch = document.currentScript && document.currentScript.dataset.epoch;
  if (!epoch) return;
  const id = Math.floor(Math.random() * 1e15);
  const poll = () => fetch(`/livereload/${epoch}/${id}`, {cache: "no-store"})
    .then((answer) => answer.ok ? answer.text() : Promise.reject(answer.status))
    .then((latest) => latest.trim() === epoch ? poll() : location.reload())
    .catch(() => setTimeout(poll, 1000));
  poll();
})();
