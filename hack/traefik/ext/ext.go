// Package ext provides the two extension points that Traefik v3.7.5's dynamic
// configuration embeds (dynamic.HTTP and dynamic.Router inline an ext.HTTP and an
// ext.Router). Upstream keeps them empty in its open-source build; so do we.
package ext

// HTTP is embedded inline in Traefik's dynamic HTTP configuration; it adds no fields.
type HTTP struct{}

// Router is embedded inline in Traefik's dynamic router configuration; it adds no fields.
type Router struct{}
