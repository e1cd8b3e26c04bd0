"""The names of a site's folders and files, defined once for every module."""

CONTENT_DIR = "content"  # the articles, in a folder per section
GLOSSARY_FILE = f"{CONTENT_DIR}/glossary.yaml"
TEMPLATES_DIR = "templates"
STATIC_DIR = "static"  # copied into the output as it is
SETTINGS_FILE = "pyproject.toml"  # the [tool.scarsite] table
OUTPUT_DIR = "build"  # where `scarsite build` publishes the site
CACHE_DIR = ".scarsite-cache"
PREVIEW_DIR = f"{CACHE_DIR}/preview"  # what `scarsite serve` serves
SEARCH_DIR = "pagefind"  # the search index, inside the output
COMPARE_DIR = "compare"  # the comparison of the treatments, and one for each scar type
