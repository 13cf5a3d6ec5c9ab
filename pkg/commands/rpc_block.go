package commands

// BlockRequest is the payload of OpBlocklist that changes the blocklist;
// OpBlocklist without a payload lists the blocked JIDs.
type BlockRequest struct {
	JID   string `json:"jid"`   // user JID
	Block bool   `json:"block"` // true blocks, false unblocks
}

// GroupActionPicture is the GroupAction.Action that sets the group picture;
// Value is the media id (wamesh_media, tenant/session scoped) of a JPEG.
const GroupActionPicture = "picture"

// GroupAction.Value of the "settings" action.
const (
	GroupSettingAnnounce    = "announce"     // only admins send
	GroupSettingNotAnnounce = "not_announce" // everyone sends
	GroupSettingLocked      = "locked"       // only admins edit info
	GroupSettingUnlocked    = "unlocked"     // everyone edits info
)
