import { adamw, joinSchedules, linearSchedule, cosineDecaySchedule, warmupCosineDecay } from '../../src/index.js';

// A schedule is a function of the update count (0 for the first update) with its spec attached.
const schedule = warmupCosineDecay({ initValue: 0, peakValue: 1e-3, warmupSteps: 100, decaySteps: 1000, endValue: 1e-5 });
console.log(schedule(0), schedule(100), schedule(1000));

// The same shape by hand: join restarts the second schedule's count at the boundary.
const joined = joinSchedules({
  schedules: [
    linearSchedule({ initValue: 0, endValue: 1e-3, transitionSteps: 100 }),
    cosineDecaySchedule({ initValue: 1e-3, decaySteps: 900, alpha: 1e-2 }),
  ],
  boundaries: [100],
});
console.log(Math.abs(joined(550) - schedule(550)) < 1e-15);

// Any option that takes a learning rate takes a schedule.
export const optimizer = adamw({ learningRate: schedule, weightDecay: 1e-2 });
