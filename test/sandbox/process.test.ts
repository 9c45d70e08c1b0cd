// Runs the isolator conformance suite against the process isolator (development only).
import { conformance } from './conformance.js';

conformance('process');
