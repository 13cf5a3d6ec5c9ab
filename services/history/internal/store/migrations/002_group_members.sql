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

-- Read marks: incoming messages of a chat up to a time were read on
-- another device (chat.updated markedRead).
CREATE INDEX messages_unread_ts ON messages (tenant, session, chat, ts)
    WHERE NOT from_me AND status < 5 AND data IS NOT NULL;

-- Each chat flag carries the time of the update that set it, so updates of
-- different flags commute.
ALTER TABLE chats ADD COLUMN archived_ts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN pinned_ts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN muted_ts BIGINT NOT NULL DEFAULT 0;
