-- Read up to: incoming messages of the chat at or before this time (unix
-- microseconds) are read. A "marked read" kept on the chat applies to
-- messages that arrive after it too (the batches of a concurrent consumer
-- commit in any order); updating the messages alone missed those.
ALTER TABLE chats ADD COLUMN read_ts BIGINT NOT NULL DEFAULT 0;
