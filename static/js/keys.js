// The console's moderator keys panel (#7): every key by name; the owner key also creates named
// keys (the new moderator link is shown once, with a copy button) and revokes the others. Whether
// this console holds the owner key the server says: GET …/moderators/me (#17).

import { ApiError, boardPath, request } from "./api.js";
import { $, clear, h } from "./dom.js";
import { formatTime, t } from "./i18n.js";

export class KeysPanel {
  constructor({ slug, key, fail }) {
    this.slug = slug;
    this.key = key;
    this.fail = fail;
    this.keys = [];
    this.owner = false;
    this.who = null; // {id, name, owner} from moderators/me; null until known
    this.created = null; // {name, link}: shown until the panel is redrawn by another action
    this.confirming = null; // id of the key whose revoke asks for confirmation
    this.list = $("#key-list");
    $("#key-create-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.create();
    });
    $("#key-copy").addEventListener("click", () => this.copy());
  }

  get path() {
    return `${boardPath(this.slug)}/moderators`;
  }

  async load() {
    try {
      const [keys, who] = await Promise.all([
        request("GET", this.path, { token: this.key }),
        this.who || request("GET", `${this.path}/me`, { token: this.key }),
      ]);
      this.keys = keys;
      this.who = who;
      this.owner = who.owner;
    } catch (error) {
      this.fail(error);
    }
    this.render();
  }

  async create() {
    const input = $("#key-name");
    const name = input.value.trim();
    if (!name) return;
    try {
      const made = await request("POST", this.path, { token: this.key, body: { name } });
      input.value = "";
      const link = `${location.origin}/b/${this.slug}/moderate#key=${encodeURIComponent(made.key)}`;
      this.created = { name: made.name, link };
      this.keys = await request("GET", this.path, { token: this.key });
    } catch (error) {
      this.denied(error);
      return;
    }
    this.render();
    $("#key-created-link").focus();
    $("#key-created-link").select();
  }

  async revoke(entry) {
    this.confirming = null;
    this.created = null;
    try {
      await request("DELETE", `${this.path}/${entry.id}`, { token: this.key });
      this.keys = await request("GET", this.path, { token: this.key });
    } catch (error) {
      this.denied(error);
    }
    this.render();
    $("#key-name").focus();
  }

  denied(error) {
    if (error instanceof ApiError && error.code === "owner_only") {
      this.owner = false;
      this.render();
    }
    this.fail(error);
  }

  async copy() {
    const field = $("#key-created-link");
    const status = $("#key-copy-status");
    try {
      await navigator.clipboard.writeText(field.value);
      status.textContent = t("copied");
    } catch {
      // Plain http: no clipboard API. The link is selected for the reader to copy.
      field.focus();
      field.select();
      status.textContent = t("copy_failed");
    }
  }

  render() {
    clear(this.list);
    for (const entry of this.keys) this.list.append(this.row(entry));
    $("#key-create-form").hidden = !this.owner;
    $("#keys-owner-only").hidden = this.owner;
    const created = $("#key-created");
    created.hidden = !this.created;
    if (this.created) {
      $("#key-created-text").textContent = t("key_new_link", { name: this.created.name });
      $("#key-created-link").value = this.created.link;
    }
  }

  row(entry) {
    const when = entry.revoked_at
      ? t("key_revoked_at", { time: formatTime(entry.revoked_at) })
      : t("key_created_at", { time: formatTime(entry.created_at) });
    const li = h(
      "li",
      { class: `key-entry${entry.revoked_at ? " is-revoked" : ""}`, dataset: { id: String(entry.id) } },
      h("span", { class: "key-name" }, entry.name),
      entry.owner ? h("span", { class: "flag flag-owner" }, t("key_owner")) : null,
      h("span", { class: "hint" }, when),
    );
    if (this.who && entry.id === this.who.id) li.append(h("span", { class: "flag flag-you" }, t("key_you")));
    if (!this.owner || entry.owner || entry.revoked_at) return li;
    if (this.confirming === entry.id) {
      li.append(
        h(
          "div",
          { class: "confirm" },
          h("span", {}, t("key_revoke_confirm", { name: entry.name })),
          h("button", { type: "button", class: "button button-danger", onclick: () => this.revoke(entry) }, t("yes_revoke")),
          h("button", { type: "button", class: "button-quiet", onclick: () => this.ask(null) }, t("cancel")),
        ),
      );
    } else {
      li.append(h("button", { type: "button", class: "button-quiet", onclick: () => this.ask(entry.id) }, t("key_revoke")));
    }
    return li;
  }

  ask(id) {
    this.confirming = id;
    this.render();
    const target = this.list.querySelector(id === null ? ".key-entry button" : ".confirm .button-danger");
    if (target) target.focus();
  }

  relabel() {
    this.render();
  }
}
