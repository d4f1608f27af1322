// Sen CRM kanban board: drag and drop between stage columns (SortableJS), the lost-reason dialog,
// and putting each card where the server says it belongs after a move.
//
// A drop only picks the card's stage in its own little form and submits it, so dragging and the
// keyboard/phone fallback (the stage <select> + "Move" button on each card) share one path: htmx
// posts the form, the answer swaps the column headers out of band and fires "boardPlace" with
// {id, stage, version, ok}. On failure the card goes back to the column it came from.
(function () {
  "use strict";

  const root = document.getElementById("board");
  if (!root) return;

  function cardsOf(stageId) {
    return document.getElementById("board-cards-" + stageId);
  }

  function columnOf(stageId) {
    return root.querySelector('.kanban-column[data-stage="' + stageId + '"]');
  }

  function moveForm(element) {
    return element && element.matches && element.matches("form.kanban-move") ? element : null;
  }

  // Put a card in the column of stageId (top of the column when it comes from elsewhere).
  function place(card, stageId) {
    const target = cardsOf(stageId);
    if (target && card.parentElement !== target) target.prepend(card);
    card.dataset.stage = String(stageId);
    const select = card.querySelector('select[name="stage"]');
    if (select) select.value = String(stageId);
  }

  function showError(text) {
    const box = document.getElementById("board-message");
    const template = document.getElementById("board-error-template");
    if (!box || !template) return;
    const alert = template.content.firstElementChild.cloneNode(true);
    alert.querySelector("[data-text]").textContent = text;
    box.replaceChildren(alert);
  }

  // Ask why the deal was lost; resolves with the text, or null when cancelled.
  function askLostReason() {
    const dialog = document.getElementById("board-lost-dialog");
    const form = dialog.querySelector("form");
    const input = dialog.querySelector("#board-lost-reason");
    return new Promise((resolve) => {
      function finish(value) {
        form.removeEventListener("submit", onSubmit);
        dialog.removeEventListener("cancel", onCancel);
        dialog.removeEventListener("click", onClick);
        if (dialog.open) dialog.close();
        resolve(value);
      }
      function onSubmit(event) {
        event.preventDefault();
        const value = input.value.trim();
        if (!value) {
          input.classList.add("is-invalid");
          input.focus();
          return;
        }
        finish(value);
      }
      function onCancel(event) {
        event.preventDefault();
        finish(null);
      }
      function onClick(event) {
        if (event.target.closest('[data-action="cancel"]')) finish(null);
      }
      input.value = "";
      input.classList.remove("is-invalid");
      form.addEventListener("submit", onSubmit);
      dialog.addEventListener("cancel", onCancel);
      dialog.addEventListener("click", onClick);
      dialog.showModal();
      input.focus();
    });
  }

  if (root.dataset.canChange === "1" && window.Sortable) {
    root.querySelectorAll(".kanban-cards").forEach((list) => {
      window.Sortable.create(list, {
        group: "board",
        draggable: ".kanban-card",
        filter: "select, option, button, input, label",
        preventOnFilter: false,
        // Pointer-driven dragging: the same on desktop, touch screens and in automated browsers.
        forceFallback: true,
        fallbackTolerance: 4,
        delay: 200,
        delayOnTouchOnly: true,
        animation: 150,
        onEnd(event) {
          if (event.from === event.to) return;
          const form = moveForm(event.item.querySelector("form.kanban-move"));
          if (!form) return;
          form.elements.stage.value = event.to.dataset.stage;
          form.requestSubmit();
        },
      });
    });
  }

  // Before a move is sent: nothing to do if the stage did not change; a lost stage needs a reason.
  document.addEventListener("htmx:confirm", (event) => {
    const form = moveForm(event.detail.elt);
    if (!form) return;
    const card = form.closest(".kanban-card");
    const stage = form.elements.stage.value;
    form.elements.lost_reason.value = "";
    if (stage === card.dataset.stage) {
      event.preventDefault();
      place(card, stage);
      return;
    }
    const column = columnOf(stage);
    if (column && column.dataset.kind === "lost") {
      event.preventDefault();
      askLostReason().then((reason) => {
        if (reason === null) {
          place(card, card.dataset.stage);
          return;
        }
        form.elements.lost_reason.value = reason;
        card.classList.add("is-saving");
        event.detail.issueRequest(true);
      });
      return;
    }
    card.classList.add("is-saving");
  });

  // Refused moves (404 not yours, 409 stale, 422 invalid) still carry the headers and the message.
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (!moveForm(event.detail.elt)) return;
    const status = event.detail.xhr.status;
    if (status === 404 || status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // The server's word on where the card belongs.
  document.addEventListener("boardPlace", (event) => {
    const detail = event.detail || {};
    const card = document.getElementById("opp-card-" + detail.id);
    if (!card) return;
    const form = moveForm(card.querySelector("form.kanban-move"));
    card.classList.remove("is-saving");
    if (form) form.dataset.answered = "1";
    if (detail.ok && detail.stage) {
      place(card, detail.stage);
      if (form && detail.version) form.elements.version.value = detail.version;
    } else {
      place(card, card.dataset.stage);
    }
  });

  // No answer from the board at all (network down, server error, expired session): put it back.
  document.addEventListener("htmx:afterRequest", (event) => {
    const form = moveForm(event.detail.elt);
    if (!form) return;
    if (form.dataset.answered === "1") {
      delete form.dataset.answered;
      return;
    }
    const card = form.closest(".kanban-card");
    card.classList.remove("is-saving");
    place(card, card.dataset.stage);
    const generic = document.getElementById("board-error-generic");
    showError(generic ? generic.textContent : "Error");
  });
})();
