using Herald.Storage.Log;
using Herald.TestKit;

namespace Herald.Simulation;

/// <summary>
/// The seeded operation fuzzer of one <see cref="PartitionLog"/> (reliability.md §2.5; Redpanda's opfuzz, TigerBeetle's
/// VOPR): from a seed it draws a configuration and a sequence of operations (append, read, timestamp lookup, clock
/// moves, retention, compaction, log-start moves, flushes, clean restarts, power losses and kill -9s), runs them
/// against the real log on a <see cref="CrashableStorageDevice"/> with a <see cref="ManualClock"/>, and checks every
/// step against a <see cref="LogModel"/> with <see cref="LogChecker"/>.
/// <para>
/// Replay. Operation <c>i</c> draws from its own random stream, derived from (seed, i), so the kinds and parameters
/// of operations do not shift when an earlier step's outcome changes. The log's group commit runs on its own threads,
/// but its fsyncs wait at an <see cref="FsyncGate"/> that the driver opens only while it waits for durability, so
/// what is durable at each step, and hence what a crash keeps, does not depend on thread timing: a seed replays the
/// same run (<see cref="LogSimulationTests"/> checks that two runs agree step by step).
/// </para>
/// One instance per run; not thread-safe (the run is a single async flow).
/// </summary>
internal sealed partial class LogSimulation
{
    private const string LogDirectory = "/herald/data/logs/sim-0";
    private const int TraceLength = 20;

    /// <summary>Wall-clock bound on waiting for the group commit; it should take microseconds on the in-memory device.</summary>
    private static readonly TimeSpan DurableTimeout = TimeSpan.FromSeconds(10);

    private readonly int _seed;
    private readonly SimulationConfig _config;
    private readonly CrashableStorageDevice _device = new();
    private readonly ManualClock _clock = new();
    private readonly LogModel _model = new();
    private readonly FsyncGate _gate = new();
    private readonly Queue<string> _recentSteps = new();
    private readonly List<string> _allSteps = [];
    private PartitionLog _log = null!;
    private FencedStorageDevice _view = null!;
    private int _step;
    private string _currentStep = "open";
    private TimeSpan _sinceIntervalFlush;
    private int _appendCount;

    private LogSimulation(int seed, SimulationConfig config)
    {
        _seed = seed;
        _config = config;
    }

    private LogOptions Options => _config.Options;

    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Runs one seed to the end; throws <see cref="SimulationFailedException"/> describing the first violation.</summary>
    public static async Task<SimulationResult> RunAsync(int seed, SimulationConfig? config = null)
    {
        var simulation = new LogSimulation(seed, config ?? SimulationConfig.FromSeed(seed));
        await simulation.RunAsync();
        return new SimulationResult(simulation._allSteps);
    }

    private async Task RunAsync()
    {
        try
        {
            OpenLog(cleanShutdown: false);
            for (_step = 0; _step < _config.Steps; _step++)
            {
                var random = new SimulationRandom(SimulationRandom.Derive(_seed, _step));
                await RunStepAsync(random);
                _model.ObserveAcknowledgements();
                ObserveHighWatermark();
                Remember(_currentStep);
            }
            _step = _config.Steps;
            await FinishAsync(new SimulationRandom(SimulationRandom.Derive(_seed, _step)));
            Remember(_currentStep);
        }
        catch (Exception e)
        {
            throw new SimulationFailedException(Describe(e), e);
        }
        finally
        {
            if (_log is not null)
            {
                await _log.DisposeAsync();
            }
            _gate.Release(); // no group commit of this run may stay blocked on a shared fsync thread
        }
    }

    /// <summary>
    /// Draws one operation. Weights favour appends and reads so the log grows and is read often; crashes and restarts
    /// are rare enough that data accumulates across segments between them.
    /// </summary>
    private Task RunStepAsync(SimulationRandom random)
    {
        var roll = random.Next(100);
        return roll switch
        {
            < 30 => AppendAsync(random),
            < 32 => InvalidAppendAsync(random),
            < 46 => ReadAsync(random),
            < 51 => FindByTimestampAsync(random),
            < 56 => AwaitDurableAsync(),
            < 66 => AdvanceClockAsync(random),
            < 72 => ApplyRetentionAsync(random),
            < 78 => CompactAsync(random),
            < 81 => AdvanceLogStartAsync(random),
            < 85 => FlushAsync(),
            < 89 => FullCheckAsync(random),
            < 92 => CleanRestartAsync(random),
            < 97 => PowerLossAsync(random),
            _ => KillAsync(random),
        };
    }

    /// <summary>After the last step: everything must become durable, survive a clean restart, and read back whole.</summary>
    private async Task FinishAsync(SimulationRandom random)
    {
        _currentStep = "final drain, clean close and reopen";
        await SettleAsync();
        LogChecker.VerifyWholeLog(_log, _model, random, "lost");
        await CloseAndReopenAsync(random, powerLossAfterClose: false, cleanShutdown: true);
    }

    private void OpenLog(bool cleanShutdown)
    {
        _view = new FencedStorageDevice(_device, _gate);
        _log = PartitionLog.Open(_view, LogDirectory, Options, _clock, cleanShutdown);
    }

    /// <summary>Records the high watermark readers could have seen: under Always it promises durability.</summary>
    private void ObserveHighWatermark()
    {
        if (Options.Fsync == FsyncPolicy.Always && _log.IsHealthy)
        {
            _model.ObserveHighWatermark(_log.HighWatermark.Value);
        }
    }

    /// <summary>
    /// Lets the group commit fsync and waits until every append's Durable task has completed, so the group commit is
    /// idle and the high watermark is at the log end.
    /// </summary>
    private async Task SettleAsync()
    {
        var pending = _model.PendingDurableTasks();
        if (pending.Length > 0)
        {
            _gate.Release();
            try
            {
                await Task.WhenAll(pending).WaitAsync(DurableTimeout);
            }
            catch (TimeoutException)
            {
                throw new SimulationViolation("durable-hang",
                    $"{pending.Count(t => !t.IsCompleted)} appends were not durable after {DurableTimeout.TotalSeconds}s");
            }
            catch (Exception) when (pending.All(t => t.IsCompleted))
            {
                // A failed Durable task is reported, with its cause, by ObserveAcknowledgements below.
            }
            finally
            {
                _gate.Hold();
            }
        }
        _model.ObserveAcknowledgements();
        if (_log.HighWatermark != _log.NextOffset)
        {
            throw new SimulationViolation("visibility",
                $"every append is durable but the high watermark {_log.HighWatermark} is below the log end {_log.NextOffset}");
        }
    }

    private void Remember(string step)
    {
        var line = $"#{_step} {step}";
        _allSteps.Add(line);
        _recentSteps.Enqueue(line);
        if (_recentSteps.Count > TraceLength)
        {
            _recentSteps.Dequeue();
        }
    }

    private string Describe(Exception e)
    {
        var what = e is SimulationViolation violation
            ? $"checker [{violation.Checker}]: {violation.Message}"
            : $"unexpected {e.GetType().Name}: {e.Message}";
        var nl = Environment.NewLine;
        return $"Log simulation failed: seed {_seed}, operation #{_step} ({_currentStep}).{nl}" +
               $"{what}{nl}" +
               $"Config: {_config}{nl}" +
               $"Model: next offset {_model.NextOffset}, log start {_model.LogStartOffset}, durable through {_model.DurableThrough}, " +
               $"acknowledged through {_model.AcknowledgedThrough}, visible through {_model.VisibleThrough}, power losses {_model.PowerLosses}{nl}" +
               $"Replay: HERALD_SIM_SEED={_seed}{(_config.Steps != SimulationConfig.DefaultSteps ? $" HERALD_SIM_STEPS={_config.Steps}" : "")} " +
               $"dotnet test tests/Herald.Simulation -c Release --filter FullyQualifiedName~LogSimulationTests{nl}" +
               $"Last {_recentSteps.Count} operations before it (oldest first):{nl}  " +
               string.Join(nl + "  ", _recentSteps);
    }
}

/// <summary>What a finished run did, for tests that compare two runs of one seed.</summary>
internal sealed record SimulationResult(IReadOnlyList<string> Steps);

/// <summary>A simulated run broke a checked property; the message carries the seed, the step and the trace to replay it.</summary>
internal sealed class SimulationFailedException(string message, Exception inner) : Exception(message, inner);
