-- Poll votes: each voter's current selection of a poll (a new vote
-- replaces the voter's earlier one, as in WhatsApp); options is a JSON
-- array of the selected option names.
CREATE TABLE poll_votes (
    tenant  TEXT   NOT NULL,
    session TEXT   NOT NULL,
    poll_id TEXT   NOT NULL,
    sender  TEXT   NOT NULL,
    options TEXT   NOT NULL,
    ts      BIGINT NOT NULL,
    PRIMARY KEY (tenant, session, poll_id, sender)
);
CREATE INDEX poll_votes_ts ON poll_votes (tenant, ts);
