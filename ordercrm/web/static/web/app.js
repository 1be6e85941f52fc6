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
