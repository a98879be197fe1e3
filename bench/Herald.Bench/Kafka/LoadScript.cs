using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Herald.Bench.Kafka;

/// <summary>
/// Runs <c>Kafka/kafka_load.py</c> (copied next to the benchmark) with the system Python, which has Debian's
/// python3-confluent-kafka, and returns the JSON report it prints as its last line. A run that fails or overruns
/// its time limit throws with the script's output; an overrunning one is killed by its process id.
/// </summary>
internal static class LoadScript
{
    public const string Python = "/usr/bin/python3";

    /// <summary>The library <see cref="RdKafkaProducer"/> calls (Debian librdkafka1, a dependency of python3-confluent-kafka).</summary>
    public const string RdKafkaLibrary = "/usr/lib/x86_64-linux-gnu/librdkafka.so.1";

    public static string ScriptPath { get; } = Path.Combine(AppContext.BaseDirectory, "Kafka", "kafka_load.py");

    /// <summary>Fails early, with what to install, when a client tool is missing.</summary>
    public static void CheckTools()
    {
        foreach (var tool in new[] { Python, ScriptPath, RdKafkaLibrary })
        {
            if (!File.Exists(tool))
            {
                throw new FileNotFoundException(
                    $"{tool} is missing; the kafka benchmark needs the Debian packages librdkafka1 and python3-confluent-kafka.");
            }
        }
    }

    public static async Task<JsonElement> RunAsync(string mode, IReadOnlyDictionary<string, object> arguments,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ScriptPath);
        start.ArgumentList.Add(mode);
        foreach (var (name, value) in arguments)
        {
            start.ArgumentList.Add("--" + name);
            if (value is IEnumerable<string> many)
            {
                foreach (var item in many)
                {
                    start.ArgumentList.Add(item);
                }
            }
            else if (value is not true)
            {
                start.ArgumentList.Add(Convert.ToString(value, CultureInfo.InvariantCulture)!);
            }
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"kafka_load.py {mode} overran {timeout}: {await error}");
        }
        var text = await output;
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (process.ExitCode != 0 || lines.Length == 0)
        {
            throw new InvalidOperationException($"kafka_load.py {mode} exited with {process.ExitCode}:\n{text}\n{await error}");
        }
        return JsonDocument.Parse(lines[^1]).RootElement.Clone();
    }
}
