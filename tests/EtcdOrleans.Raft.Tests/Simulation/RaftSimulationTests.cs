using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace EtcdOrleans.Raft.Tests.Simulation;

/// <summary>
/// Runs <see cref="RaftSimulation"/> over many fixed seeds, for clusters of 3 and of 5 replicas. Environment:
/// <c>RAFT_SOAK_SEEDS=N</c> runs N seeds per cluster size instead of the default (a long soak);
/// <c>RAFT_SIM_SEED=S</c> replays the single seed S with its trace printed. A failure reports its seed, the options the
/// seed drew and the last lines of a trace of the replayed run.
/// </summary>
public sealed class RaftSimulationTests(ITestOutputHelper output)
{
    [Fact]
    public void ThreeReplicas_StaySafeAndLive_UnderFaults() => RunSeeds(replicas: 3, firstSeed: 1, defaultSeeds: 4000);

    [Fact]
    public void FiveReplicas_StaySafeAndLive_UnderFaults() => RunSeeds(replicas: 5, firstSeed: 1_000_001, defaultSeeds: 2000);

    private void RunSeeds(int replicas, int firstSeed, int defaultSeeds)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("RAFT_SIM_SEED"), CultureInfo.InvariantCulture, out var single))
        {
            var failure = RunOne(replicas, single, trace: true, out var replay);
            output.WriteLine(replay.TraceText);
            Assert.True(failure is null, failure?.Message);
            return;
        }

        var seeds = int.TryParse(Environment.GetEnvironmentVariable("RAFT_SOAK_SEEDS"), CultureInfo.InvariantCulture, out var soak) && soak > 0
            ? soak
            : defaultSeeds;
        var failures = new ConcurrentBag<(int Seed, string Message)>();
        long proposed = 0;
        int worstElection = 0, worstCommit = 0;
        var coverage = new SimulationCoverage();
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        Parallel.For(firstSeed, firstSeed + seeds, (seed, state) =>
        {
            var failure = RunOne(replicas, seed, trace: false, out var simulation);
            Interlocked.Add(ref proposed, simulation.Proposed);
            InterlockedMax(ref worstElection, simulation.ElectionTicksAfterHeal);
            InterlockedMax(ref worstCommit, simulation.CommitTicksAfterElection);
            lock (coverage)
            {
                coverage.Add(simulation.Coverage);
            }
            if (failure is not null)
            {
                failures.Add((seed, failure.Message));
                state.Stop();
            }
        });

        output.WriteLine($"{seeds} seeds of {replicas} replicas, {proposed} entries proposed; after healing, worst election {worstElection} ticks, worst commit {worstCommit} ticks; in {clock.Elapsed.TotalSeconds:F1} s " +
            $"({(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} s of CPU, whole process)");
        output.WriteLine(coverage.ToString());
        if (!failures.IsEmpty)
        {
            var (seed, message) = failures.MinBy(f => f.Seed);
            RunOne(replicas, seed, trace: true, out var replay);
            Assert.Fail($"{message}\noptions: {SimulationOptions.FromSeed(replicas, seed)}\n" +
                $"replay with RAFT_SIM_SEED={seed}; last trace lines:\n{replay.TraceText}");
        }
    }

    private static void InterlockedMax(ref int location, int value)
    {
        var current = Volatile.Read(ref location);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private static SimulationFailure? RunOne(int replicas, int seed, bool trace, out RaftSimulation simulation)
    {
        simulation = new RaftSimulation(SimulationOptions.FromSeed(replicas, seed), seed, trace);
        try
        {
            simulation.Run();
            return null;
        }
        catch (SimulationFailure failure)
        {
            return failure;
        }
        catch (InvalidOperationException e)
        {
            // The core refuses a state it considers impossible (for example a commit beyond its log): a bug too.
            return new SimulationFailure($"seed {seed} tick {simulation.Now}: core threw {e}");
        }
    }
}
