// Stands in for github.com/traefik/traefik/dynamic/ext, which Traefik's own go.mod replaces
// with a folder of its repository and which is not served as a module on its own.
module github.com/traefik/traefik/dynamic/ext

go 1.25.0
