// Runs the isolator conformance suite against the bubblewrap isolator (real bwrap).
import { conformance } from './conformance.js';

conformance('bwrap');
