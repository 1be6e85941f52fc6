// A plain (non-htmx) form posts once: a second click while the request is in flight does
// nothing and its buttons show as busy. The server is idempotent anyway; this spares the
// user a confusing second answer. htmx forms do the same with hx-disabled-elt.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.hasAttribute("hx-post") || form.method.toLowerCase() !== "post") return;
  if (form.dataset.busy) {
    event.preventDefault();
    return;
  }
  form.dataset.busy = "1";
  // Disable only after the browser has put the clicked button's name and value in the post.
  setTimeout(() => form.querySelectorAll("button").forEach((b) => { b.disabled = true; }), 0);
});

// Coming back with the browser's Back button shows the page as it was left: usable again.
window.addEventListener("pageshow", () => {
  document.querySelectorAll("form[data-busy]").forEach((form) => {
    delete form.dataset.busy;
    form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
  });
});

// On a phone a table's rows become cards (see app.css; order entry has its own layout): each cell is labelled with its
// column's heading, and an input in a cell without a label of its own is named by it too.
// Without script the table scrolls in its own box instead.
document.documentElement.classList.add("js");
function labelTables(root) {
  root.querySelectorAll("table.list:not(.compact):not(.lines)").forEach((table) => {
    const headings = [];
    table.querySelectorAll("thead tr:first-child > th").forEach((th) => {
      const span = th.colSpan || 1;
      for (let i = 0; i < span; i += 1) headings.push(th.textContent.trim());
    });
    if (!headings.length) return;
    table.querySelectorAll("tbody tr, tfoot tr").forEach((row) => {
      let column = 0;
      Array.from(row.children).forEach((cell) => {
        const heading = headings[column];
        column += cell.colSpan || 1;
        if (!heading || cell.colSpan >= headings.length) return;
        cell.dataset.label = heading;
        cell.querySelectorAll("input, select, textarea").forEach((field) => {
          const labelled = field.labels && field.labels.length;
          if (!labelled && !field.getAttribute("aria-label")) field.setAttribute("aria-label", heading);
        });
      });
    });
    table.classList.add("labelled");
  });
}
document.addEventListener("DOMContentLoaded", () => labelTables(document));
document.addEventListener("htmx:afterSwap", () => labelTables(document));

// A form answered 422 (its inline errors) or 409 (changed meanwhile, with the current state)
// is the same form shown again: swap it in like a 200, so an htmx-posted form shows its
// errors instead of silently keeping the old screen. Other 4xx and 5xx are not swapped.
if (window.htmx) {
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "409|422", swap: true, error: false },
    { code: "[45]..", swap: false, error: true },
    { code: "...", swap: false },
  ];
}

// An entry form's one-time token outlives the Back button: the browser may build the page
// anew (with a new token) when the user goes back to a form already saved, so the token
// last submitted from this address is put back, and saving again finds the order it made
// instead of making a second one. A fresh visit (not Back/Forward) keeps its new token.
document.addEventListener("submit", (event) => {
  const token = event.target.querySelector && event.target.querySelector("input[name=entry_token]");
  if (token) sessionStorage.setItem(`entry-token:${location.pathname}`, token.value);
}, true);
document.addEventListener("DOMContentLoaded", () => {
  const navigation = performance.getEntriesByType("navigation")[0];
  if (!navigation || navigation.type !== "back_forward") return;
  const saved = sessionStorage.getItem(`entry-token:${location.pathname}`);
  const token = document.querySelector("input[name=entry_token]");
  if (saved && token) token.value = saved;
});
