// Search page: start Pagefind's interface, show each result's summary, and run the query
// typed into the header search box (/search/?q=...).
(function () {
  "use strict";
  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function start() {
    if (typeof PagefindUI === "undefined") {
      return;
    }
    var ui = new PagefindUI({
      element: "#search",
      showImages: false,
      showSubResults: false,
      resetStyles: false,
      processResult: function (result) {
        if (result.meta && result.meta.summary) {
          result.excerpt = escapeHtml(result.meta.summary);
        }
        return result;
      }
    });
    var query = new URLSearchParams(window.location.search).get("q");
    if (query) {
      ui.triggerSearch(query);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
