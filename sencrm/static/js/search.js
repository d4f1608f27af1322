// The top bar's search box: keyboard navigation of the as-you-type dropdown (htmx fills it).
// ↑/↓ move through the results, Enter opens the chosen one (or the results page), Esc closes
// (and, pressed again, empties the box as any search field does).
(() => {
  const form = document.querySelector("[data-sen-search]");
  if (!form) return;
  const input = form.querySelector("input[name='q']");
  const menu = form.querySelector("#sen-search-menu");
  let active = -1;

  const items = () => Array.from(menu.querySelectorAll(".sen-search-item"));
  const close = () => {
    menu.innerHTML = "";
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  };
  const select = (index) => {
    const list = items();
    if (!list.length) return;
    active = (index + list.length) % list.length;
    list.forEach((el, i) => el.classList.toggle("active", i === active));
    input.setAttribute("aria-activedescendant", list[active].id);
    list[active].scrollIntoView({ block: "nearest" });
  };

  menu.addEventListener("htmx:afterSwap", () => {
    active = -1;
    input.setAttribute("aria-expanded", items().length ? "true" : "false");
  });
  input.addEventListener("input", () => {
    if (!input.value.trim()) close();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      select(active + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      select(active - 1);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      window.location.href = items()[active].href;
    } else if (event.key === "Escape" && menu.childElementCount) {
      event.preventDefault(); // the first Esc closes the list and keeps the words; a second clears the box
      close();
    }
  });
  document.addEventListener("click", (event) => {
    if (!form.contains(event.target)) close();
  });
})();
