// The sidebar's fold toggles (pydata-sphinx-theme) are <summary> elements with only an icon: a screen
// reader announces nothing (axe: summary-name). Name each after the entry it folds.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".bd-sidebar details > summary").forEach(function (summary) {
    if (summary.textContent.trim() || summary.getAttribute("aria-label")) return;
    var link = summary.parentElement.parentElement.querySelector(":scope > a");
    summary.setAttribute("aria-label", "Show or hide the pages under " + (link ? link.textContent.trim() : "this entry"));
  });
});
