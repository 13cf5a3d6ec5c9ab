-- A mute ends: keep its end (unix microseconds, 0 = not limited) next to
-- the flag, and report a chat muted only while the end is in the future.
ALTER TABLE chats ADD COLUMN muted_until BIGINT NOT NULL DEFAULT 0;
