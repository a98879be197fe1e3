using Herald.Primitives.Threading;

namespace Herald.Primitives.Tests;

public sealed class SoonWorkTests
{
    [Fact]
    public async Task Off_an_event_loop_work_runs_on_the_thread_pool()
    {
        var ran = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        SoonWork.Schedule(_ => ran.TrySetResult(Thread.CurrentThread.IsThreadPoolThread), null);

        Assert.True(await ran.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void On_an_event_loop_work_waits_for_the_end_of_the_turn_and_runs_there_in_order()
    {
        var order = new List<string>();
        bool ranSomething = false, ranMore = true;
        var loop = new Thread(() =>
        {
            SoonWork.BecomeEventLoop();
            SoonWork.Schedule(_ =>
            {
                order.Add("first");
                SoonWork.Schedule(_ => order.Add("scheduled by first"), null); // same turn end
            }, null);
            SoonWork.Schedule(_ => order.Add("second"), null);
            order.Add("rest of the turn");
            ranSomething = SoonWork.RunScheduled();
            ranMore = SoonWork.RunScheduled();
        });

        loop.Start();
        loop.Join();

        Assert.Equal(["rest of the turn", "first", "second", "scheduled by first"], order);
        Assert.True(ranSomething);
        Assert.False(ranMore);
    }
}
