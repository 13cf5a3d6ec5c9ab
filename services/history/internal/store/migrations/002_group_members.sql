-- Group membership as one row per (group, member): membership and admin
-- flags each carry the time of the event that set them, so add/remove and
-- promote/demote events commute (the newest wins in any arrival order).

CREATE TABLE group_members (
    tenant    TEXT    NOT NULL,
    session   TEXT    NOT NULL,
    group_jid TEXT    NOT NULL,
    jid       TEXT    NOT NULL,
    member    BOOLEAN,
    member_ts BIGINT  NOT NULL,
    admin     BOOLEAN,
    admin_ts  BIGINT  NOT NULL,
    PRIMARY KEY (tenant, session, group_jid, jid)
);

-- Unread messages by chat and time: counts unread per chat and serves read
-- marks (chat.updated markedRead: read up to a time). It replaces the
-- index of 001 without the time.
CREATE INDEX messages_unread_ts ON messages (tenant, session, chat, ts)
    WHERE NOT from_me AND status < 5 AND data IS NOT NULL;
DROP INDEX messages_unread;

-- Each chat flag carries the time of the update that set it, so updates of
-- different flags commute.
ALTER TABLE chats ADD COLUMN archived_ts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN pinned_ts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN muted_ts BIGINT NOT NULL DEFAULT 0;
