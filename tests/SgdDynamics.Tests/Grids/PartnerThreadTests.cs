using SgdDynamics.Grids;

namespace SgdDynamics.Tests.Grids;

/// <summary>
/// The two-part hand-off of the 1-D ADI step: every phase runs parts 0 and 1 once (split over the caller and the
/// partner, or both on the caller), after the partner has slept too; part 1 does run on the partner; failures surface.
/// </summary>
public class PartnerThreadTests
{
    private static void Count(int[] counts, int part)
    {
        if (part == PartnerThread.Both)
        {
            Interlocked.Increment(ref counts[0]);
            Interlocked.Increment(ref counts[1]);
            return;
        }

        Interlocked.Increment(ref counts[part]);
    }

    [Fact]
    public void EveryPhaseRunsBothPartsOnceAcrossSpinsAndSleeps()
    {
        using var partner = new PartnerThread("test partner");
        int[] counts = new int[2];
        for (int phase = 0; phase < 200; phase++)
        {
            partner.Run(part => Count(counts, part));
            if (phase % 50 == 0)
            {
                Thread.Sleep(5); // past the partner's spin: it sleeps and must be woken by a later post
            }

            Assert.Equal(phase + 1, counts[0]);
            Assert.Equal(phase + 1, counts[1]);
        }
    }

    [Fact]
    public void PartOneRunsOnThePartnerAndExceptionsReachTheCaller()
    {
        // the partner spins for the next phase after each one, so it takes part 1 of some of the phases posted in a row
        // (a loop of at most 10 s: on an idle or a loaded machine alike this ends at once)
        using var partner = new PartnerThread("test partner");
        int caller = Environment.CurrentManagedThreadId, other = caller;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (other == caller && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            partner.Run(part =>
            {
                if (part == 1)
                {
                    other = Environment.CurrentManagedThreadId;
                }
            });
        }

        Assert.NotEqual(caller, other);

        var error = Assert.Throws<InvalidOperationException>(() => partner.Run(part =>
        {
            if (part != 0)
            {
                throw new InvalidOperationException("part 1 failed");
            }
        }));
        Assert.Equal("part 1 failed", error.Message);
        int[] counts = new int[2];
        partner.Run(part => Count(counts, part));
        Assert.Equal([1, 1], counts);
    }
}
