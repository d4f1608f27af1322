// Sen CRM page behaviour that htmx and Alpine do not cover.
document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr.status;
  if (status === 403 || status === 404 || status === 409 || status === 412) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
