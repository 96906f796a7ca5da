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

// Mapping grids: "Add row" appends a blank row from the grid's <template>, numbered after the others.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("button.add-row").forEach((button) => button.addEventListener("click", () => {
    const table = document.getElementById(`grid-${button.dataset.grid}`);
    const template = document.getElementById(`template-${button.dataset.grid}`);
    const index = Number(table.dataset.next);
    table.dataset.next = String(index + 1);
    const row = template.content.firstElementChild.cloneNode(true);
    row.querySelectorAll("[name]").forEach((field) => { field.name = field.name.replace("__i__", String(index)); });
    table.tBodies[0].appendChild(row);
  }));
});

// A new integration: the Custom Cart items tab shows when the chosen cart has an item list.
document.addEventListener("DOMContentLoaded", () => {
  const cart = document.getElementById("f-cart");
  const tab = document.getElementById("tab-items");
  if (!cart || !tab || cart.disabled) return;
  const update = () => { tab.hidden = cart.selectedOptions[0]?.dataset.itemList !== "yes" && tab.dataset.rows !== "yes"; };
  cart.addEventListener("change", update);
});
