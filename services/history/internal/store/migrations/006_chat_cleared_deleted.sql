-- When the account cleared or deleted the chat on one of its devices
-- (unix microseconds, 0 = never). History keeps the messages; clients see
-- the times and decide what to show.
ALTER TABLE chats ADD COLUMN cleared_ts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN deleted_ts BIGINT NOT NULL DEFAULT 0;
