# xmpp/: see DESIGN.md
