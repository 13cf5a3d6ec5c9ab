package wa

import (
	"errors"
	"fmt"
	"time"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/ssrf"
)

// Options are the environment settings of the WhatsApp half; embed them in
// the session service Config and Apply them to a ManagerConfig.
type Options struct {
	SSRF          ssrf.Config
	MediaDownload string        `env:"WAMESH_MEDIA_DOWNLOAD" envDefault:"all"`        // incoming media stored: all, none, or a list like image,voice,document
	MaxMediaBytes int64         `env:"WAMESH_MEDIA_MAX_BYTES" envDefault:"67108864"`  // largest outgoing media fetched by URL
	CommandMemory time.Duration `env:"WAMESH_COMMAND_MEMORY" envDefault:"24h"`        // how long executed command ids are remembered (idempotency)
	PerMinute     int           `env:"WAMESH_PACING_PER_MINUTE" envDefault:"0"`       // default pacing for sessions without their own; 0 = off
	Burst         int           `env:"WAMESH_PACING_BURST" envDefault:"10"`           // default pacing burst
	JitterMS      int           `env:"WAMESH_PACING_JITTER_MS" envDefault:"0"`        // default random delay per message, up to this
	TypingSim     bool          `env:"WAMESH_PACING_TYPING" envDefault:"false"`       // default typing simulation before texts
	MaxTypingMS   int           `env:"WAMESH_PACING_MAX_TYPING_MS" envDefault:"5000"` // cap of the typing simulation
}

// Validate checks what env parsing cannot.
func (o Options) Validate() error {
	var errs []error
	if err := o.SSRF.Validate(); err != nil {
		errs = append(errs, err)
	}
	if _, err := ParseMediaPolicy(o.MediaDownload); err != nil {
		errs = append(errs, fmt.Errorf("WAMESH_MEDIA_DOWNLOAD: %w", err))
	}
	if o.MaxMediaBytes < 0 || o.CommandMemory < 0 || o.PerMinute < 0 || o.Burst < 0 || o.JitterMS < 0 || o.MaxTypingMS < 0 {
		errs = append(errs, errors.New("WAMESH_MEDIA_MAX_BYTES, WAMESH_COMMAND_MEMORY and WAMESH_PACING_*: must not be negative"))
	}
	return errors.Join(errs...)
}

// Apply sets the ManagerConfig fields these options govern.
func (o Options) Apply(cfg *ManagerConfig) error {
	policy, err := o.SSRF.Policy()
	if err != nil {
		return err
	}
	download, err := ParseMediaPolicy(o.MediaDownload)
	if err != nil {
		return fmt.Errorf("WAMESH_MEDIA_DOWNLOAD: %w", err)
	}
	cfg.SSRF, cfg.Download = policy, download
	cfg.MaxMediaBytes, cfg.CommandMemory = o.MaxMediaBytes, o.CommandMemory
	cfg.DefaultPacing = control.Pacing{PerMinute: o.PerMinute, Burst: o.Burst, JitterMS: o.JitterMS,
		TypingSim: o.TypingSim, MaxTypingMS: o.MaxTypingMS}
	return nil
}
