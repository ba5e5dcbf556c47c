# Shared helpers for the TUI tests: picket runs inside a private tmux server
# (its own socket, so parallel tests never meet), keys go in with send-keys
# and the screen comes back with capture-pane.  Source it first:
#   . "$TESTS_DIR/tui/lib.sh"
. "$TESTS_DIR/cli/lib.sh"
. "$TESTS_DIR/tui/tmux.sh"
