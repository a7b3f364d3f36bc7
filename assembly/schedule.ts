// Learning-rate schedules, computed in wasm because the rate feeds training and JS Math.exp/cos
// differ between engines. t is the schedule's clock (epochs or steps), T its horizon.
import { Schedule } from './abi';

/** Schedule.Step: lr0 * a^floor(t / b);  Exponential: lr0 * exp(-a t);  Cosine: a + (lr0 - a)(1 + cos(pi t / T)) / 2. */
export function lr_schedule(kind: i32, lr0: f64, a: f64, b: f64, t: f64, T: f64): f64 {
  if (kind == Schedule.Step) return lr0 * Math.pow(a, Math.floor(t / b));
  if (kind == Schedule.Exponential) return lr0 * Math.exp(-a * t);
  const c = T > 0 ? min(t / T, 1.0) : 1.0;
  return a + (lr0 - a) * 0.5 * (1.0 + Math.cos(Math.PI * c));
}
