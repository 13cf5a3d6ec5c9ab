package query

import (
	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/pkg/queries"
	"github.com/wamesh/wamesh/services/history/internal/store"
)

// maxJID bounds chat JIDs and message ids.
const maxJID = 256

func invalid(format string, args ...any) error {
	return commands.Errorf(commands.CodeValidation, format, args...)
}

func scope(tenant, session string) error {
	if !ids.Valid(tenant) {
		return invalid("tenant must match [A-Za-z0-9_-]{1,64}")
	}
	if !ids.Valid(session) {
		return invalid("session must match [A-Za-z0-9_-]{1,64}")
	}
	return nil
}

func pageLimit(n int) error {
	if n < 0 || n > store.MaxLimit {
		return invalid("limit must be between 1 and %d", store.MaxLimit)
	}
	return nil
}

func text(name, v string, required bool) error {
	switch {
	case v == "" && required:
		return invalid("%s is required", name)
	case len(v) > maxJID:
		return invalid("%s is longer than %d bytes", name, maxJID)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func validateChats(r *queries.ChatsRequest) error {
	if r.Type != "" && r.Type != "direct" && r.Type != "group" {
		return invalid("type must be direct, group or empty")
	}
	return firstErr(scope(r.Tenant, r.Session), pageLimit(r.Limit), text("search", r.Search, false))
}

func validateChat(r *queries.ChatRequest) error {
	return firstErr(scope(r.Tenant, r.Session), text("chat", r.Chat, true))
}

func validateMessages(r *queries.MessagesRequest) error {
	if r.Before != nil && r.After != nil && !r.After.Before(*r.Before) {
		return invalid("after must be earlier than before")
	}
	return firstErr(scope(r.Tenant, r.Session), text("chat", r.Chat, true), pageLimit(r.Limit))
}

func validateMessage(r *queries.MessageRequest) error {
	return firstErr(scope(r.Tenant, r.Session), text("id", r.ID, true), text("chat", r.Chat, false))
}

func validateContacts(r *queries.ContactsRequest) error {
	return firstErr(scope(r.Tenant, r.Session), pageLimit(r.Limit), text("search", r.Search, false))
}

func validateGroups(r *queries.GroupsRequest) error {
	return firstErr(scope(r.Tenant, r.Session), pageLimit(r.Limit))
}

func validateDeliveries(r *queries.DeliveriesRequest) error {
	if !ids.Valid(r.Tenant) {
		return invalid("tenant must match [A-Za-z0-9_-]{1,64}")
	}
	if !ids.Valid(r.Webhook) {
		return invalid("webhook must match [A-Za-z0-9_-]{1,64}")
	}
	return pageLimit(r.Limit)
}
