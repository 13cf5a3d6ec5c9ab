-- "Mark as unread" from one of the account's devices: a timestamped flag
-- like archived/pinned; marking the chat read clears it.
ALTER TABLE chats ADD COLUMN marked_unread BOOLEAN;
ALTER TABLE chats ADD COLUMN marked_unread_ts BIGINT NOT NULL DEFAULT 0;
