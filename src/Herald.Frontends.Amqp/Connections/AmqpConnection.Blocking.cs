using Herald.Broker.Resources;
using Herald.Protocols.Amqp;
using Microsoft.AspNetCore.Connections.Features;

namespace Herald.Frontends.Amqp.Connections;

/// <summary>
/// Memory and disk alarms, as RabbitMQ applies them to AMQP 0-9-1 connections: while any alarm is in effect, a
/// connection that publishes stops being read at its next basic.publish (the frame stays unread in the input pipe,
/// so Kestrel stops reading the socket and TCP pushes back on the client), and reading resumes once every alarm has
/// cleared. Connections that only consume are never blocked. Clients that announce the <c>connection.blocked</c>
/// capability are told: connection.blocked (reason <c>low on memory</c> or <c>low on disk</c>) once per episode to
/// every connection that has published, and connection.unblocked when all alarms have cleared. While blocked, the
/// missed-heartbeat check is off (the client's heartbeats sit unread behind the publish), as RabbitMQ pauses its
/// heartbeat monitor.
/// </summary>
internal sealed partial class AmqpConnection
{
    private readonly Lock _blockedGate = new();
    private bool _clientWantsBlockedNotifications;
    private volatile bool _hasPublished;
    private bool _blockedSent;
    private volatile bool _readingPaused;
    private bool _watchingAlarms;

    /// <summary>From connection.open: alarm changes reach this connection.</summary>
    private void WatchAlarms()
    {
        Frontend.Alarms.Changed += UpdateBlockedNotification;
        _watchingAlarms = true;
    }

    private void StopWatchingAlarms()
    {
        if (_watchingAlarms)
        {
            Frontend.Alarms.Changed -= UpdateBlockedNotification;
            _watchingAlarms = false;
        }
    }

    /// <summary>
    /// Called before a basic.publish is read further: returns at once without an alarm, otherwise when every alarm
    /// has cleared (or the connection is closing).
    /// </summary>
    private async ValueTask WaitWhileAlarmedAsync()
    {
        _hasPublished = true;
        var cleared = Frontend.Alarms.WhenCleared;
        if (cleared.IsCompleted)
        {
            return;
        }
        // What came before the alarm is stored (and confirmed) before reading stops.
        await PublishHeldAsync();
        UpdateBlockedNotification();
        _readingPaused = true;
        try
        {
            var closeRequested = _transport.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(_transport.ConnectionClosed, closeRequested, _lifetime.Token);
            await cleared.WaitAsync(stop.Token);
        }
        finally
        {
            // The client's frames (heartbeats among them) were waiting unread: the heartbeat clock starts afresh.
            Interlocked.Exchange(ref _lastReceiveTimestamp, Frontend.Clock.GetTimestamp());
            _readingPaused = false;
        }
        UpdateBlockedNotification();
    }

    /// <summary>
    /// Sends connection.blocked or connection.unblocked when this connection's notified state differs from what the
    /// alarms say it should be. Runs on the read loop and on whichever thread changed the alarms; the gate keeps the
    /// two in order, and the output sends frames in the order they were started.
    /// </summary>
    private void UpdateBlockedNotification()
    {
        if (!_clientWantsBlockedNotifications)
        {
            return;
        }
        lock (_blockedGate)
        {
            var alarms = Frontend.Alarms.Active;
            var blocked = alarms != ResourceAlarm.None && _hasPublished;
            if (blocked == _blockedSent)
            {
                return;
            }
            _blockedSent = blocked;
            if (blocked)
            {
                Output.SendInBackground(0, new ConnectionBlocked { Reason = ResourceAlarms.Reason(alarms) });
            }
            else
            {
                Output.SendInBackground(0, new ConnectionUnblocked());
            }
        }
    }
}
