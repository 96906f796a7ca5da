// The Integration Editor's tabs: show one panel at a time without a page load (all are in one form).
document.addEventListener("DOMContentLoaded", () => {
  const links = document.querySelectorAll("#tabs a[data-tab]");
  links.forEach((link) => link.addEventListener("click", (event) => {
    event.preventDefault();
    links.forEach((other) => other.classList.toggle("current", other === link));
    document.querySelectorAll("[data-panel]").forEach((panel) => { panel.hidden = panel.dataset.panel !== link.dataset.tab; });
    history.replaceState(null, "", link.getAttribute("href"));
  }));
});
