// The web UI's entry: every element registers itself when its module loads.
import './cosmic-app.js'
