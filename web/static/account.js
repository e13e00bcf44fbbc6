// account.js drives the pages that mail links open (verify-email,
// reset-password, confirm-email, invitation): it sends the link's token, with what the
// form asks for, to the JSON API and shows the answer. The token never
// leaves the page except in that POST body.
"use strict";

const routes = {
  "verify-email": "/api/auth/verify-email",
  "password-reset": "/api/auth/password-reset",
  "password-reset-confirm": "/api/auth/password-reset/confirm",
  "confirm-email": "/api/me/email/confirm",
  "invitation-accept": "/api/invitations/accept",
  "invitation-signup": "/api/invitations/signup",
  "invitation-decline": "/api/invitations/decline",
};

document.addEventListener("DOMContentLoaded", () => {
  const forms = document.querySelectorAll("form.account-form");
  const status = document.getElementById("account-status");
  if (!status) return;
  const token = new URLSearchParams(window.location.search).get("token");

  for (const form of forms) form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = Object.fromEntries(new FormData(form));
    if (form.dataset.action !== "password-reset") body.token = token || "";
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const res = await fetch(routes[form.dataset.action], {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        credentials: "same-origin",
        body: JSON.stringify(body),
      });
      if (res.ok) {
        status.textContent = form.dataset.done;
        for (const f of forms) f.hidden = true;
      } else {
        const problem = await res.json().catch(() => ({}));
        status.textContent = problem.detail || problem.title || "Something went wrong.";
        button.disabled = false;
      }
    } catch {
      status.textContent = "The server could not be reached; try again.";
      button.disabled = false;
    }
    status.hidden = false;
  });
});
