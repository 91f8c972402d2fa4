using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace SgdDynamics.Grids;

/// <summary>
/// A second thread that runs part 1 of a two-part phase while the caller runs part 0 (<see cref="Run"/>): a hand-off
/// far lighter than a <see cref="Parallel"/> loop, for phases of a few microseconds to tens of microseconds (the halves
/// of the 1-D ADI line). The partner spins briefly for the next phase, then sleeps on a semaphore until one is posted;
/// the caller spins (yielding) until the partner's part is done. Exceptions of part 1 are rethrown by the caller.
/// </summary>
internal sealed class PartnerThread : IDisposable
{
    /// <summary>How long the partner spins for the next phase before it sleeps (a phase follows the last within microseconds while a run lasts).</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 10_000;

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

    /// <summary>Runs <paramref name="part"/>(0) on the caller and <paramref name="part"/>(1) on the partner or, if the partner has not taken it by then, on the caller too; returns when both are done.</summary>
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

        ExceptionDispatchInfo? own = null;
        try
        {
            part(0);
        }
        catch (Exception e)
        {
            own = ExceptionDispatchInfo.Capture(e);
        }

        if (Interlocked.CompareExchange(ref claimed, generation, generation - 1) == generation - 1)
        {
            // the partner has not taken part 1: run it here
            try
            {
                part(1);
            }
            catch (Exception e)
            {
                own ??= ExceptionDispatchInfo.Capture(e);
            }

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
                    Thread.SpinWait(8);
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
                continue; // the caller ran this part 1 itself
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
