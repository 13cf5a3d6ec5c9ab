package deploy

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wamesh/wamesh/deploy/internal/envtags"
)

// instruction is one Dockerfile instruction with continuation lines joined.
type instruction struct {
	Cmd, Args string
}

func readDockerfile(t *testing.T) []instruction {
	t.Helper()
	f, err := os.Open("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		out  []instruction
		line string
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(text, "#") || text == "" && line == "" {
			continue
		}
		if strings.HasSuffix(text, "\\") {
			line += strings.TrimSuffix(text, "\\") + " "
			continue
		}
		line += text
		cmd, args, _ := strings.Cut(line, " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
		line = ""
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// finalStage returns the instructions from the last FROM on.
func finalStage(ins []instruction) []instruction {
	last := 0
	for i, in := range ins {
		if in.Cmd == "FROM" {
			last = i
		}
	}
	return ins[last:]
}

func TestDockerfileFinalImage(t *testing.T) {
	t.Parallel()
	final := finalStage(readDockerfile(t))
	if from := final[0].Args; !strings.HasPrefix(from, "gcr.io/distroless/static") || !strings.HasSuffix(from, ":nonroot") {
		t.Errorf("final stage FROM %s, want distroless static :nonroot", from)
	}
	var user, entrypoint string
	env := map[string]string{}
	for _, in := range final {
		switch in.Cmd {
		case "USER":
			user = in.Args
		case "ENTRYPOINT":
			entrypoint = in.Args
		case "ENV":
			for _, kv := range strings.Fields(in.Args) {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
		}
	}
	if user == "" || strings.HasPrefix(user, "0") || strings.HasPrefix(user, "root") {
		t.Errorf("USER %q, want a non-root uid", user)
	}
	if entrypoint != `["/wamesh"]` {
		t.Errorf(`ENTRYPOINT %s, want ["/wamesh"]`, entrypoint)
	}
	// The image's defaults are for the all-in-one (no arguments).
	reads := allInOneReads(t)
	for k := range env {
		if _, ok := reads[k]; strings.HasPrefix(k, "WAMESH_") && !ok {
			t.Errorf("ENV %s: the all-in-one does not read it", k)
		}
	}
}

// allInOneReads is what `wamesh` without arguments reads: the four services'
// Config types plus the all-in-one's own Config (internal to cmd/wamesh, so
// read from its source).
func allInOneReads(t *testing.T) envtags.Set {
	t.Helper()
	own, err := envtags.FromSource("../cmd/wamesh/internal/allinone")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := own["WAMESH_NATS_LISTEN"]; !ok {
		t.Fatalf("all-in-one source reads %v, want WAMESH_NATS_LISTEN among them", own.Names())
	}
	sets := []envtags.Set{own}
	for _, s := range wameshServices {
		sets = append(sets, s.Reads())
	}
	return envtags.Union(sets...)
}

var goBuild = regexp.MustCompile(`go build .*?-o (\S+) (\./\S+)`)

// The build stage builds static binaries of packages that exist, and
// stamps the version into a variable that exists.
func TestDockerfileBuild(t *testing.T) {
	t.Parallel()
	var (
		run    string
		static bool
	)
	for _, in := range readDockerfile(t) {
		if in.Cmd == "RUN" && strings.Contains(in.Args, "go build") {
			run = in.Args
		}
		if in.Cmd == "ENV" && strings.Contains(in.Args, "CGO_ENABLED=0") {
			static = true
		}
	}
	builds := goBuild.FindAllStringSubmatch(run, -1)
	if len(builds) != 2 {
		t.Fatalf("found %d go build commands, want wamesh and wamesh-probe", len(builds))
	}
	for _, b := range builds {
		if !isMainPackage(t, filepath.Join("..", b[2])) {
			t.Errorf("go build %s: not a main package", b[2])
		}
	}
	if !static && !strings.Contains(run, "CGO_ENABLED=0") {
		t.Errorf("the build stage does not set CGO_ENABLED=0: the binaries must be static for distroless")
	}
	if !strings.Contains(run, `-X main.version=${VERSION}`) {
		t.Errorf("the wamesh build does not set -X main.version=${VERSION}")
	}
	if !declaresVar(t, "../cmd/wamesh", "version") {
		t.Errorf("cmd/wamesh declares no package-level var version for -X main.version")
	}
}

func isMainPackage(t *testing.T, dir string) bool {
	t.Helper()
	//lint:ignore SA1019 build tags do not matter for these main packages
	pkgs, err := parser.ParseDir(token.NewFileSet(), dir, nil, parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	_, ok := pkgs["main"]
	return ok
}

func declaresVar(t *testing.T, dir, name string) bool {
	t.Helper()
	//lint:ignore SA1019 build tags do not matter for these main packages
	pkgs, err := parser.ParseDir(token.NewFileSet(), dir, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range pkgs["main"].Files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, s := range g.Specs {
				for _, n := range s.(*ast.ValueSpec).Names {
					if n.Name == name {
						return true
					}
				}
			}
		}
	}
	return false
}

// .dockerignore keeps the context small but must not drop what the build needs.
func TestDockerignore(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "!") {
			patterns = append(patterns, strings.TrimPrefix(l, "/"))
		}
	}
	needed := []string{"go.work", "go.work.sum", "pkg/go.mod", "cmd/wamesh/main.go", "deploy/go.mod",
		"deploy/go.sum", "deploy/cmd/wamesh-probe/main.go", "services/session/go.mod"}
	for _, p := range needed {
		for _, pat := range patterns {
			if ignores(pat, p) {
				t.Errorf(".dockerignore pattern %q drops %s", pat, p)
			}
		}
	}
	for _, p := range []string{".git", "data"} {
		if !anyOf(patterns, func(pat string) bool { return ignores(pat, p) }) {
			t.Errorf(".dockerignore keeps %s in the build context", p)
		}
	}
}

// ignores is a simplified .dockerignore match: a pattern matches a path,
// its parent directories, or, with a **/ prefix, at any depth.
func ignores(pattern, path string) bool {
	parts := strings.Split(path, "/")
	for i := 1; i <= len(parts); i++ {
		prefix := strings.Join(parts[:i], "/")
		if ok, _ := filepath.Match(pattern, prefix); ok {
			return true
		}
		if rest, ok := strings.CutPrefix(pattern, "**/"); ok {
			if m, _ := filepath.Match(rest, parts[i-1]); m {
				return true
			}
		}
	}
	return false
}

func anyOf(s []string, f func(string) bool) bool {
	for _, v := range s {
		if f(v) {
			return true
		}
	}
	return false
}
