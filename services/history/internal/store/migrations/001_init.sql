-- History schema, shared by Postgres and SQLite: only types and syntax both
-- understand (BIGINT unix microseconds, TEXT, BOOLEAN, partial indexes).

CREATE TABLE events (
    tenant  TEXT   NOT NULL,
    id      TEXT   NOT NULL,
    session TEXT   NOT NULL,
    type    TEXT   NOT NULL,
    subject TEXT   NOT NULL,
    ts      BIGINT NOT NULL,
    data    TEXT,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX events_ts ON events (tenant, ts);

CREATE TABLE messages (
    tenant        TEXT     NOT NULL,
    session       TEXT     NOT NULL,
    id            TEXT     NOT NULL,
    chat          TEXT     NOT NULL,
    sender        TEXT     NOT NULL,
    from_me       BOOLEAN  NOT NULL,
    type          TEXT     NOT NULL,
    ts            BIGINT   NOT NULL,
    data          TEXT,
    status        SMALLINT NOT NULL,
    error         TEXT     NOT NULL,
    revoked       BOOLEAN  NOT NULL,
    edit_ts       BIGINT   NOT NULL,
    edit_text     TEXT     NOT NULL,
    has_reactions BOOLEAN  NOT NULL,
    media_id      TEXT     NOT NULL,
    PRIMARY KEY (tenant, session, id)
);
CREATE INDEX messages_chat_ts ON messages (tenant, session, chat, ts DESC, id DESC);
CREATE INDEX messages_ts ON messages (tenant, ts);
CREATE INDEX messages_unread ON messages (tenant, session, chat)
    WHERE NOT from_me AND status < 5 AND data IS NOT NULL;

CREATE TABLE message_statuses (
    tenant     TEXT     NOT NULL,
    session    TEXT     NOT NULL,
    message_id TEXT     NOT NULL,
    recipient  TEXT     NOT NULL,
    status     SMALLINT NOT NULL,
    ts         BIGINT   NOT NULL,
    PRIMARY KEY (tenant, session, message_id, recipient, status)
);
CREATE INDEX message_statuses_ts ON message_statuses (tenant, ts);

CREATE TABLE message_edits (
    tenant     TEXT   NOT NULL,
    session    TEXT   NOT NULL,
    message_id TEXT   NOT NULL,
    ts         BIGINT NOT NULL,
    text       TEXT   NOT NULL,
    PRIMARY KEY (tenant, session, message_id, ts)
);
CREATE INDEX message_edits_ts ON message_edits (tenant, ts);

CREATE TABLE reactions (
    tenant     TEXT   NOT NULL,
    session    TEXT   NOT NULL,
    message_id TEXT   NOT NULL,
    sender     TEXT   NOT NULL,
    emoji      TEXT   NOT NULL,
    ts         BIGINT NOT NULL,
    PRIMARY KEY (tenant, session, message_id, sender)
);
CREATE INDEX reactions_ts ON reactions (tenant, ts);

CREATE TABLE chats (
    tenant   TEXT    NOT NULL,
    session  TEXT    NOT NULL,
    jid      TEXT    NOT NULL,
    type     TEXT    NOT NULL,
    name     TEXT    NOT NULL,
    last_ts  BIGINT  NOT NULL,
    last_id  TEXT    NOT NULL,
    archived BOOLEAN,
    pinned   BOOLEAN,
    muted    BOOLEAN,
    state_ts BIGINT  NOT NULL,
    PRIMARY KEY (tenant, session, jid)
);
CREATE INDEX chats_last ON chats (tenant, session, last_ts DESC, jid DESC);

CREATE TABLE contacts (
    tenant        TEXT NOT NULL,
    session       TEXT NOT NULL,
    jid           TEXT NOT NULL,
    lid           TEXT NOT NULL,
    phone         TEXT NOT NULL,
    name          TEXT NOT NULL,
    push_name     TEXT NOT NULL,
    business_name TEXT NOT NULL,
    PRIMARY KEY (tenant, session, jid)
);

CREATE TABLE wa_groups (
    tenant       TEXT   NOT NULL,
    session      TEXT   NOT NULL,
    jid          TEXT   NOT NULL,
    subject      TEXT,
    participants TEXT,
    admins       TEXT,
    ts           BIGINT NOT NULL,
    PRIMARY KEY (tenant, session, jid)
);

CREATE TABLE deliveries (
    tenant      TEXT    NOT NULL,
    event_id    TEXT    NOT NULL,
    webhook     TEXT    NOT NULL,
    delivery_id TEXT    NOT NULL,
    attempt     INTEGER NOT NULL,
    outcome     TEXT    NOT NULL,
    ts          BIGINT  NOT NULL,
    data        TEXT    NOT NULL,
    PRIMARY KEY (tenant, event_id)
);
CREATE INDEX deliveries_webhook ON deliveries (tenant, webhook, ts DESC, event_id DESC);
CREATE INDEX deliveries_ts ON deliveries (tenant, ts);
