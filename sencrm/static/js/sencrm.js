// Sen CRM page behaviour that htmx and Alpine do not cover: the object picker, filter chips,
// the progress bar, and letting htmx swap 403/404/409/412 answers (they carry a message).
// htmx 2 decides about swapping in beforeSwap (responseError comes after the decision).
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if (status === 403 || status === 404 || status === 409 || status === 412) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// A thin bar at the top while htmx works.
document.addEventListener("htmx:beforeRequest", () => document.body.classList.add("sen-loading"));
["htmx:afterRequest", "htmx:sendError", "htmx:timeout"].forEach((name) =>
  document.addEventListener(name, () => document.body.classList.remove("sen-loading")),
);

// The list's search box reloads the table as you type; its "change" on blur must not send a
// second, stale request that could overwrite a sort or page chosen meanwhile.
document.addEventListener(
  "change",
  (event) => {
    if (event.target.matches && event.target.matches("#list-filters input[name='q']")) event.stopPropagation();
  },
  true,
);

// Keep list URLs short: drop empty filter parameters (?q=&sort= …) before htmx sends them.
document.addEventListener("htmx:configRequest", (event) => {
  if (event.detail.elt.id !== "list-filters") return;
  const params = event.detail.parameters;
  for (const key of Object.keys(params)) {
    if (params[key] === "") delete params[key];
  }
});

// --- Object picker (components/widgets/picker.html) --------------------------------------------
function pickerSet(picker, value, label) {
  const hidden = picker.querySelector("[data-picker-value]");
  const search = picker.querySelector("[data-picker-search]");
  hidden.value = value;
  search.value = label;
  hidden.dispatchEvent(new Event("change", { bubbles: true }));
  const results = picker.querySelector(".sen-picker-results");
  if (results) results.innerHTML = "";
}

document.addEventListener("click", (event) => {
  // A match in the picker's results.
  const match = event.target.closest(".sen-picker-results [data-pick-value]");
  if (match) {
    pickerSet(match.closest("[data-picker]"), match.dataset.pickValue, match.dataset.pickLabel);
    return;
  }
  // A suggestion elsewhere on the page that fills a picker (lead conversion: likely matches).
  const suggestion = event.target.closest("[data-pick-for]");
  if (suggestion) {
    const hidden = document.getElementById(suggestion.dataset.pickFor);
    if (hidden) pickerSet(hidden.closest("[data-picker]"), suggestion.dataset.pickValue, suggestion.dataset.pickLabel);
    return;
  }
  const clear = event.target.closest("[data-picker-clear]");
  if (clear) {
    pickerSet(clear.closest("[data-picker]"), "", "");
    return;
  }
  // Removing a filter chip drops its value and reloads the list.
  const chip = event.target.closest("[data-chip-remove]");
  if (chip) {
    event.preventDefault();
    const form = chip.closest("form");
    chip.closest(".sen-chip").remove();
    if (form) form.dispatchEvent(new Event("change", { bubbles: true }));
    return;
  }
  // A click outside closes open picker results.
  document.querySelectorAll(".sen-picker-results").forEach((results) => {
    if (!results.closest("[data-picker]").contains(event.target)) results.innerHTML = "";
  });
});

document.addEventListener("input", (event) => {
  const search = event.target.closest("[data-picker-search]");
  if (search && search.value === "") {
    const hidden = search.closest("[data-picker]").querySelector("[data-picker-value]");
    hidden.value = "";
  }
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    document.querySelectorAll(".sen-picker-results").forEach((results) => (results.innerHTML = ""));
  }
  // Enter in a picker's search box chooses the first match instead of submitting the form.
  const search = event.target.closest && event.target.closest("[data-picker-search]");
  if (search && event.key === "Enter") {
    event.preventDefault();
    const first = search.closest("[data-picker]").querySelector(".sen-picker-results [data-pick-value]");
    if (first) first.click();
  }
});
