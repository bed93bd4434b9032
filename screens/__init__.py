"""One Textual screen per documented step, and the widgets they share."""
