// The latchkey web pages: plain fetch calls to the JSON API. Tokens live in memory only (or,
// in cookie mode, in HttpOnly cookies the script never sees).
"use strict";

let access = null;

const status = (text) => { document.getElementById("status").textContent = text; };

function csrf() {
  const match = document.cookie.match(/(?:^|; )latchkey_csrf=([^;]*)/);
  return match ? match[1] : "";
}

async function call(method, path, body) {
  const headers = { "X-CSRF-Token": csrf() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (access) headers["Authorization"] = "Bearer " + access;
  const response = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? {} : await response.json();
  if (!response.ok) throw new Error(data.message || response.statusText);
  return data;
}

async function showProfile() {
  const me = await call("GET", "/api/accounts/me");
  document.getElementById("who").textContent = me.nickname + " <" + me.email + ">";
  document.getElementById("profile").classList.remove("hidden");
}

const actions = {
  signup: async (f) => {
    await call("POST", "/api/accounts/signup", { email: f.email, nickname: f.nickname, password: f.password });
    status("Account created. Check your mail for the code.");
  },
  verify: async (f) => {
    await call("POST", "/api/accounts/verify-email", { email: f.email, code: f.code });
    status("Address confirmed. You can log in now.");
  },
  login: async (f) => {
    const session = await call("POST", "/api/accounts/login", { email: f.email, password: f.password });
    access = session.access_token || null;
    status("Logged in.");
    await showProfile();
  },
  nickname: async (f) => {
    await call("PATCH", "/api/accounts/me", { nickname: f.nickname });
    status("Nickname changed.");
    await showProfile();
  },
};

for (const form of document.querySelectorAll("form[data-action]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = Object.fromEntries(new FormData(form).entries());
    try { await actions[form.dataset.action](fields); } catch (e) { status(e.message); }
  });
}

document.getElementById("logout").addEventListener("click", async () => {
  try {
    await call("POST", "/api/accounts/logout");
    access = null;
    document.getElementById("profile").classList.add("hidden");
    status("Logged out.");
  } catch (e) { status(e.message); }
});
