// The vote control without a page reload. Progressive enhancement only: without this file the
// forms post as usual and the page answers with a flash message.
(() => {
  const panel = document.querySelector("[data-vote-panel]");
  if (!panel || !window.fetch) return;

  const say = (form, text, failed) => {
    const status = panel.querySelector("[data-vote-status]") || form.querySelector("[data-vote-status]");
    if (status) {
      status.textContent = text;
      status.classList.toggle("text-danger", Boolean(failed));
    }
  };

  const showTally = (data) => {
    const tally = panel.querySelector("[data-vote-tally]");
    if (tally) tally.textContent = data.tally_text;
  };

  for (const form of panel.querySelectorAll("form[data-vote-form]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        const type = response.headers.get("Content-Type") || "";
        if (!type.includes("application/json")) {
          form.submit(); // a login page or an error page: let the server show it
          return;
        }
        const data = await response.json();
        if (!response.ok) {
          say(form, "Not saved: " + ((data.error && data.error.message) || "try again."), true);
          return;
        }
        showTally(data);
        say(form, data.message, false);
        if (form.hasAttribute("data-vote-withdraw")) {
          for (const radio of panel.querySelectorAll("input[name=priority]")) radio.checked = false;
          form.hidden = true;
        }
      } catch (error) {
        form.submit(); // offline or the server is gone: the plain form says what happened
      } finally {
        if (button) button.disabled = false;
      }
    });
  }
})();
