using SgdDynamics.Grids;

namespace SgdDynamics.Tests.Grids;

/// <summary>The two-part hand-off of the 1-D ADI step: both parts run once per phase (part 1 on whichever thread claims it), after sleeps too, and failures surface.</summary>
public class PartnerThreadTests
{
    [Fact]
    public void EveryPhaseRunsBothPartsOnceAcrossSpinsAndSleeps()
    {
        using var partner = new PartnerThread("test partner");
        int[] counts = new int[2];
        for (int phase = 0; phase < 200; phase++)
        {
            partner.Run(part => Interlocked.Increment(ref counts[part]));
            if (phase % 50 == 0)
            {
                Thread.Sleep(5); // past the partner's spin: it sleeps and must be woken by the next post
            }

            Assert.Equal(phase + 1, counts[0]);
            Assert.Equal(phase + 1, counts[1]);
        }
    }

    [Fact]
    public void PartOneRunsOnThePartnerWhileTheCallerIsBusyAndItsExceptionReachesTheCaller()
    {
        using var partner = new PartnerThread("test partner");
        // part 0 waits (at most 10 s) for part 1 to have run: the partner claims it meanwhile
        int caller = Environment.CurrentManagedThreadId, other = caller;
        using var done = new ManualResetEventSlim();
        partner.Run(part =>
        {
            if (part == 1)
            {
                other = Environment.CurrentManagedThreadId;
                done.Set();
            }
            else
            {
                done.Wait(TimeSpan.FromSeconds(10));
            }
        });
        Assert.NotEqual(caller, other);

        var error = Assert.Throws<InvalidOperationException>(() => partner.Run(part =>
        {
            if (part == 1)
            {
                throw new InvalidOperationException("part 1 failed");
            }
        }));
        Assert.Equal("part 1 failed", error.Message);
        int runs = 0;
        partner.Run(_ => Interlocked.Increment(ref runs));
        Assert.Equal(2, runs);
    }
}
