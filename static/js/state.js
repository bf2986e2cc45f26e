// A board as this page sees it: built from a snapshot, kept current by events (the logic of
// board/client.py). Listeners get one small change at a time, so pages update only what changed.

export class BoardState {
  constructor() {
    this.seq = null;
    this.board = null;
    this.notes = new Map();
    // How many notes a blind round holds (#18): everyone knows the count, not the notes.
    this.held = 0;
    this.listeners = new Set();
  }

  subscribe(listener) {
    this.listeners.add(listener);
  }

  emit(change) {
    for (const listener of this.listeners) listener(change);
  }

  load(snapshot) {
    this.board = snapshot.board;
    this.notes = new Map(snapshot.notes.map((note) => [note.id, note]));
    this.held = snapshot.held || 0;
    this.seq = snapshot.seq;
    this.emit({ type: "load" });
  }

  /** Apply one event; false when it was already applied (a replay after reconnecting). */
  apply(event) {
    if (this.seq !== null && event.seq <= this.seq) return false;
    const { kind, data } = event;
    if (kind === "board.upsert") this.setBoard(data);
    else if (kind === "note.upsert") this.upsertNote(data, true);
    else if (kind === "note.remove") this.removeNote(data.id);
    else if (kind === "likes") this.setLikes(data.note_id, data.likes);
    else if (kind === "comment.upsert" || kind === "comment.remove") {
      this.setComment(data, kind === "comment.upsert");
    } else if (kind === "board.held") this.setHeld(data.held);
    else if (kind === "board.reveal") {
      // The notes themselves come with the snapshot that live.js fetches next.
      this.setBoard(data.board);
      this.setHeld(0);
    }
    this.seq = event.seq;
    return true;
  }

  setBoard(board) {
    const previous = this.board;
    this.board = board;
    this.emit({ type: "board", board, previous });
  }

  /** Events and HTTP answers both land here; an older version never replaces a newer one. */
  setHeld(held) {
    if (held === this.held) return;
    this.held = held;
    this.emit({ type: "held", held });
  }

  upsertNote(note, live = false) {
    const previous = this.notes.get(note.id);
    if (previous && previous.version > note.version) return;
    this.notes.set(note.id, note);
    this.emit({ type: "note", note, previous, live });
  }

  removeNote(id) {
    const previous = this.notes.get(id);
    if (!previous) return;
    this.notes.delete(id);
    this.emit({ type: "remove", id, previous });
  }

  setLikes(noteId, likes) {
    const note = this.notes.get(noteId);
    if (!note || note.likes === likes) return;
    note.likes = likes;
    this.emit({ type: "likes", note });
  }

  setComment(comment, present) {
    const note = this.notes.get(comment.note_id);
    if (!note) return;
    const kept = note.comments.filter((c) => c.id !== comment.id);
    note.comments = present ? [...kept, comment] : kept;
    this.emit({ type: "comments", note });
  }

  byClientId(clientId) {
    for (const note of this.notes.values()) if (note.client_id === clientId) return note;
    return null;
  }
}

/** The server's board order: pinned first, then position, then newest. */
export function boardOrder(a, b) {
  return b.pinned - a.pinned || a.position - b.position || b.id - a.id;
}

/** Newest first, pinned notes still on top. */
export function newestFirst(a, b) {
  return b.pinned - a.pinned || b.id - a.id;
}

/** Most liked first, the newest first among equals; pinned notes still on top. */
export function mostLiked(a, b) {
  return b.pinned - a.pinned || b.likes - a.likes || b.id - a.id;
}
