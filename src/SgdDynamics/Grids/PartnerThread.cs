using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace SgdDynamics.Grids;

/// <summary>
/// A second thread for phases of two parts that take microseconds to tens of microseconds (the halves of the 1-D ADI
/// line), far lighter than a <see cref="Parallel"/> loop. <see cref="Run"/> posts a phase; if the partner takes part 1
/// within <see cref="ClaimWindowTicks"/> (it spins for the next phase for 100 µs after each one), the caller runs
/// part 0 meanwhile and waits for part 1; otherwise (the partner asleep or put aside by the scheduler) the caller runs
/// <see cref="Both"/> itself, so a busy machine leaves the phase on one thread instead of making it wait. The work must
/// not depend on which thread runs which part. Exceptions of either part are rethrown by the caller.
/// </summary>
internal sealed class PartnerThread : IDisposable
{
    /// <summary>The part number asking for both parts on the caller's thread.</summary>
    public const int Both = 2;

    /// <summary>How long the partner spins for the next phase before it sleeps on a semaphore.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 10_000;

    /// <summary>How long the caller waits for the partner to take part 1 before it runs both parts: 2 µs.</summary>
    private static readonly long ClaimWindowTicks = Math.Max(1, Stopwatch.Frequency / 500_000);

    private readonly Thread thread;
    private readonly SemaphoreSlim wake = new(0);
    private Action<int>? work;
    private ExceptionDispatchInfo? failure;
    private int posted;
    private int claimed;
    private int completed;
    private int sleeping;
    private volatile bool stopping;

    public PartnerThread(string name)
    {
        thread = new Thread(Loop) { IsBackground = true, Name = name };
        thread.Start();
    }

    /// <summary>
    /// Runs <paramref name="part"/>(0) on the caller and <paramref name="part"/>(1) on the partner, or
    /// <paramref name="part"/>(<see cref="Both"/>) on the caller when the partner does not take part 1 in time; returns
    /// when the phase is done.
    /// </summary>
    public void Run(Action<int> part)
    {
        ObjectDisposedException.ThrowIf(stopping, this);
        work = part;
        int generation = posted + 1;
        Volatile.Write(ref posted, generation);
        if (Interlocked.Exchange(ref sleeping, 0) == 1)
        {
            wake.Release();
        }

        long until = Stopwatch.GetTimestamp() + ClaimWindowTicks;
        while (Volatile.Read(ref claimed) != generation && Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(1);
        }

        ExceptionDispatchInfo? own = null;
        bool alone = Interlocked.CompareExchange(ref claimed, generation, generation - 1) == generation - 1;
        try
        {
            part(alone ? Both : 0);
        }
        catch (Exception e)
        {
            own = ExceptionDispatchInfo.Capture(e);
        }

        if (alone)
        {
            Volatile.Write(ref completed, generation);
        }

        var spin = default(SpinWait);
        while (Volatile.Read(ref completed) != generation)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }

        work = null;
        own?.Throw();
        if (failure is { } partnerFailure)
        {
            failure = null;
            partnerFailure.Throw();
        }
    }

    public void Dispose()
    {
        if (stopping)
        {
            return;
        }

        stopping = true;
        if (Interlocked.Exchange(ref sleeping, 0) == 1)
        {
            wake.Release();
        }

        thread.Join();
        wake.Dispose();
    }

    private void Loop()
    {
        int seen = 0;
        while (true)
        {
            long until = Stopwatch.GetTimestamp() + SpinTicks;
            while (Volatile.Read(ref posted) == seen && !stopping)
            {
                if (Stopwatch.GetTimestamp() < until)
                {
                    Thread.SpinWait(1);
                    continue;
                }

                // announce the sleep (a full fence), then look once more: a post after the announcement releases the semaphore
                Interlocked.Exchange(ref sleeping, 1);
                if (Volatile.Read(ref posted) != seen || stopping)
                {
                    if (Interlocked.Exchange(ref sleeping, 0) == 0)
                    {
                        wake.Wait(); // the poster saw the announcement and released: take that release
                    }

                    break;
                }

                wake.Wait();
                until = Stopwatch.GetTimestamp() + SpinTicks;
            }

            if (stopping)
            {
                return;
            }

            seen = Volatile.Read(ref posted);
            if (Interlocked.CompareExchange(ref claimed, seen, seen - 1) != seen - 1)
            {
                continue; // the caller runs this phase alone
            }

            try
            {
                work!(1);
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }

            Volatile.Write(ref completed, seen);
        }
    }
}
