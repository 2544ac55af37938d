"""The MkDocs adapter: the `digest` plugin and everything that touches MkDocs internals. The only
package that imports MkDocs."""
