using Herald.Storage.Log;

namespace Herald.Simulation;

// Restarts: clean close, power loss (CrashableStorageDevice.Crash) and kill -9 (CrashKeepingEverything), each
// followed by a reopen on the same simulated disk and the checks of reliability.md D1, D2 and D6.
internal sealed partial class LogSimulation
{
    private enum RestartKind
    {
        /// <summary>DisposeAsync, then reopen (optionally trusting the indexes, as after a clean shutdown marker).</summary>
        Clean,

        /// <summary>DisposeAsync, then power loss: a clean close must leave nothing that a power loss can take.</summary>
        CleanThenPowerLoss,

        /// <summary>The process dies; the page cache (every completed write) survives.</summary>
        Kill,

        /// <summary>Unsynced writes and directory entries are lost at random, the last write may be torn.</summary>
        PowerLoss,
    }

    private async Task CleanRestartAsync(SimulationRandom random)
    {
        var powerLoss = random.Chance(0.3);
        var trustIndexes = random.Chance(0.7);
        _currentStep = $"clean close{(powerLoss ? ", power loss" : "")}, reopen{(trustIndexes ? " as a clean shutdown" : "")}";
        await CloseAndReopenAsync(random, powerLoss, trustIndexes);
    }

    private async Task CloseAndReopenAsync(SimulationRandom random, bool powerLossAfterClose, bool cleanShutdown)
    {
        await SettleAsync(); // a group commit still holding a segment lease would delete its files after the reopen
        var end = _model.NextOffset;
        await _log.DisposeAsync();
        _model.RaiseDurableThrough(end);
        if (powerLossAfterClose)
        {
            _view.Fence();
            _device.Crash(random.NextSeed());
        }
        OpenLog(cleanShutdown);
        Reconcile(powerLossAfterClose ? RestartKind.CleanThenPowerLoss : RestartKind.Clean, random);
    }

    /// <summary>
    /// Power loss, half of the time with the group commit idle and half of the time with its fsync held at the gate
    /// (in flight), which is how an unsynced tail exists at the crash under <see cref="FsyncPolicy.Always"/>.
    /// </summary>
    private async Task PowerLossAsync(SimulationRandom random)
    {
        var settle = random.Chance(0.5);
        if (settle)
        {
            await SettleAsync();
        }
        var crashSeed = random.NextSeed();
        var end = _model.NextOffset;
        _currentStep = $"power loss Crash({crashSeed}) at log end {end}, {(settle ? "group commit idle" : "fsync in flight")}";
        _view.Fence();
        _device.Crash(crashSeed);
        await DrainAbandonedAppendsAsync();
        OpenLog(cleanShutdown: false);
        Reconcile(RestartKind.PowerLoss, random);
        _currentStep += $" -> reopened with offsets {_log.LogStartOffset}..{_log.NextOffset}";
    }

    private async Task KillAsync(SimulationRandom random)
    {
        _currentStep = $"kill -9 at log end {_model.NextOffset}";
        _view.Fence();
        _device.CrashKeepingEverything();
        await DrainAbandonedAppendsAsync();
        OpenLog(cleanShutdown: false);
        Reconcile(RestartKind.Kill, random);
    }

    /// <summary>
    /// Lets the crashed incarnation's group commit finish. Every flush after the crash fails (its handles are dead),
    /// so a Durable task that completes successfully now had its fsync done before the crash: counting it as
    /// acknowledged is sound, and waiting for it makes the check stronger.
    /// </summary>
    private async Task DrainAbandonedAppendsAsync()
    {
        var pending = _model.PendingDurableTasks();
        _gate.Release();
        try
        {
            await Task.WhenAll(pending).WaitAsync(DurableTimeout);
        }
        catch (TimeoutException)
        {
            throw new SimulationViolation("durable-hang",
                $"after the crash {pending.Count(t => !t.IsCompleted)} Durable tasks neither completed nor failed");
        }
        catch (Exception) when (pending.All(t => t.IsCompleted))
        {
            // Appends the crash caught before their fsync fail; they were never acknowledged.
        }
        finally
        {
            _gate.Hold();
        }
        _model.ObserveAcknowledgements(crashed: true);
    }

    /// <summary>
    /// Checks the reopened log against what the old incarnation promised, then trims the model to what survived
    /// and reads the whole log back.
    /// <list type="bullet">
    /// <item>Never damaged: a crash alone must not look like corruption (D2: "the broker always starts").</item>
    /// <item>Clean close and kill -9: nothing lost at all, the log start unchanged (D1: the page cache survives,
    /// so any loss means the log kept acknowledged data in user space).</item>
    /// <item>Power loss: the log may end early, but not before the durability promises: appends whose Durable task
    /// completed and high watermarks shown to readers (under Always), completed flushes, clean closes and segment
    /// rolls (any policy). Under Interval and Os an acknowledged but unflushed append may be lost. The log start
    /// may move back to segments retention had deleted (retention promises no durability, like Kafka's periodic
    /// log-start checkpoint), but never below a durable AdvanceLogStartOffset, and never forward; the segments that
    /// come back must be whole and contiguous, which the full read then checks.</item>
    /// <item>Then the whole log reads back equal to the trimmed model: every surviving offset has its old value
    /// ("inconsistent-offset"), and nothing unexpected appears.</item>
    /// </list>
    /// </summary>
    private void Reconcile(RestartKind kind, SimulationRandom random)
    {
        if (_log.DamageReason is { } reason)
        {
            throw new SimulationViolation("damaged", $"the log reopened damaged after {kind}: {reason}");
        }
        var end = _log.NextOffset.Value;
        var start = _log.LogStartOffset.Value;
        if (_log.HighWatermark.Value != end)
        {
            throw new SimulationViolation("visibility", $"the reopened log's high watermark {_log.HighWatermark} is not its end {end}");
        }
        if (end > _model.NextOffset)
        {
            throw new SimulationViolation("unexpected", $"after {kind} the log ends at {end}, beyond the {_model.NextOffset} offsets ever appended");
        }
        if (kind == RestartKind.PowerLoss)
        {
            var (required, promise) = RequiredAfterPowerLoss();
            if (end < required)
            {
                throw new SimulationViolation("lost",
                    $"after power loss the log ends at {end}, but the offsets below {required} were {promise}");
            }
            var floor = Math.Min(_model.DurableLogStartFloor, end);
            if (start < floor)
            {
                throw new SimulationViolation("log-start-regression",
                    $"after power loss the log starts at {start}, below {floor}, which AdvanceLogStartOffset had made durable");
            }
            if (start > _model.LogStartOffset)
            {
                throw new SimulationViolation("lost",
                    $"after power loss the log start jumped from {_model.LogStartOffset} to {start}, hiding the records between");
            }
        }
        else
        {
            if (end != _model.NextOffset)
            {
                throw new SimulationViolation("lost",
                    $"after {kind} the log ends at {end}; all {_model.NextOffset} offsets written must survive");
            }
            if (start != _model.LogStartOffset)
            {
                throw new SimulationViolation("log-start", $"after {kind} the log starts at {start}, before it started at {_model.LogStartOffset}");
            }
        }
        _model.ApplyCrash(end, start, powerLoss: kind == RestartKind.PowerLoss);
        _sinceIntervalFlush = TimeSpan.Zero;
        LogChecker.VerifyWholeLog(_log, _model, random, "lost");
    }

    /// <summary>The offset the log must reach after a power loss, and the promise that requires it.</summary>
    private (long Required, string Promise) RequiredAfterPowerLoss()
    {
        var required = _model.DurableThrough;
        var promise = "covered by a completed flush, a clean close or a segment roll";
        if (Options.Fsync == FsyncPolicy.Always)
        {
            if (_model.AcknowledgedThrough > required)
            {
                (required, promise) = (_model.AcknowledgedThrough, "acknowledged: their appends' Durable tasks had completed");
            }
            if (_model.VisibleThrough > required)
            {
                (required, promise) = (_model.VisibleThrough,
                    "below a high watermark readers had seen, which under Always moves only after the fsync that makes data durable");
            }
        }
        return (required, promise);
    }
}
