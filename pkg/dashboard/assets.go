package dashboard

import (
	"bytes"
	"embed"
	"html"
	"io/fs"
	"net/http"
	"strconv"
)

// The front end: `make ui` builds ui/ into assets/dist (not committed). Without it, a
// plain `go build` still compiles and serves assets/placeholder, which says how to build
// the real page.
//
//go:embed all:assets
var assets embed.FS

// frontEnd returns the built UI when it is there, else the placeholder, and whether it is
// the built one.
func frontEnd() (fs.FS, bool) {
	if dist, err := fs.Sub(assets, "assets/dist"); err == nil {
		if _, err := fs.Stat(dist, "index.html"); err == nil {
			return dist, true
		}
	}
	placeholder, err := fs.Sub(assets, "assets/placeholder")
	if err != nil {
		panic(err) // the placeholder is committed: a build without it is broken
	}
	return placeholder, false
}

// pages serves the front end. index.html gets the session token and the read-only flag
// as meta tags, which only a page from this origin can read.
type pages struct {
	files  fs.FS
	index  []byte
	static http.Handler
}

func newPages(token string, readOnly bool) (*pages, error) {
	files, _ := frontEnd()
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		return nil, err
	}
	meta := `<meta name="serin-token" content="` + html.EscapeString(token) + `">` +
		`<meta name="serin-read-only" content="` + strconv.FormatBool(readOnly) + `">`
	index = bytes.Replace(index, []byte("</head>"), []byte(meta+"</head>"), 1)
	return &pages{files: files, index: index, static: http.FileServerFS(files)}, nil
}

func (p *pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, r.Method+" "+r.URL.Path+": not allowed")
		return
	}
	if r.URL.Path == "/" || r.URL.Path == "/index.html" || !exists(p.files, r.URL.Path[1:]) {
		// The page routes on the client (/#/ns/name); every unknown path gets the page.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(p.index)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	p.static.ServeHTTP(w, r)
}

func exists(files fs.FS, name string) bool {
	st, err := fs.Stat(files, name)
	return err == nil && !st.IsDir()
}
