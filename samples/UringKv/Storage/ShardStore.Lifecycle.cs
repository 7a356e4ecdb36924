using Microsoft.Extensions.Logging;

namespace UringKv.Storage;

// Background work (everysec fsync, compaction) and the clean stop.
internal sealed partial class ShardStore
{
    /// <summary>Runs the shard's background work until <paramref name="stoppingToken"/> fires.</summary>
    public async Task RunMaintenanceAsync(CancellationToken stoppingToken)
    {
        TimeSpan tick = TimeSpan.FromSeconds(1);
        TimeSpan interval = _options.CompactionInterval;
        if (interval > TimeSpan.Zero && interval < tick)
        {
            tick = interval;
        }

        DateTime lastSync = DateTime.UtcNow;
        DateTime lastCompaction = DateTime.UtcNow;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _worker.DelayAsync(tick, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            try
            {
                DateTime now = DateTime.UtcNow;
                if (_options.Durability == Durability.EverySecond && now - lastSync >= TimeSpan.FromSeconds(1))
                {
                    lastSync = now;
                    await SyncAsync();
                }

                if (interval > TimeSpan.Zero && now - lastCompaction >= interval)
                {
                    lastCompaction = now;
                    await CompactAsync();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.MaintenanceFailed(_logger, Shard, e);
            }
        }
    }

    /// <summary>
    /// Stops the shard: waits for the batches in flight, makes everything durable (whatever the durability mode, as
    /// Redis does at shutdown) and closes the files. Called on the shard's worker once no connection can reach it.
    /// </summary>
    public async Task CloseAsync()
    {
        _stopping = true;
        while (_committing || _open is not null || _compacting)
        {
            await _worker.DelayAsync(TimeSpan.FromMilliseconds(1));
        }

        _closed = true;
        foreach (Segment segment in _segments)
        {
            CloseDirectFile(segment);
            if (segment.File is null)
            {
                continue;
            }

            try
            {
                if (segment.NeedsSync)
                {
                    await segment.File.FlushAsync(dataOnly: true);
                }
            }
            catch (IOException e)
            {
                Log.MaintenanceFailed(_logger, Shard, e);
            }

            await segment.File.DisposeAsync();
            segment.File = null;
        }

        if (_directoryNeedsSync)
        {
            await SyncDirectoryAsync();
        }

        if (_directoryFile is not null)
        {
            await _directoryFile.DisposeAsync();
            _directoryFile = null;
        }

        Log.ShardClosed(_logger, Shard, Statistics.Keys);
    }
}

internal static partial class Log
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Shard {Shard} opened: {Keys} keys in {Segments} segments ({Bytes} bytes)")]
    public static partial void ShardOpened(ILogger logger, int shard, int keys, int segments, long bytes);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Shard {Shard}: {Path} has a torn or corrupt tail: cut at {Offset}, {Dropped} bytes dropped")]
    public static partial void TailTruncated(ILogger logger, int shard, string path, long offset, long dropped);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "Shard {Shard}: writing {Path} failed; the shard refuses writes from now on")]
    public static partial void WriteFailed(ILogger logger, int shard, string path, Exception exception);

    [LoggerMessage(EventId = 103, Level = LogLevel.Error, Message = "Shard {Shard}: a value could not be read back")]
    public static partial void ReadFailed(ILogger logger, int shard, Exception exception);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Shard {Shard}: compacted {Count} segment(s), {Before} bytes into {After}")]
    public static partial void Compacted(ILogger logger, int shard, int count, long before, long after);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "Shard {Shard}: deleting {Path} failed")]
    public static partial void DeleteFailed(ILogger logger, int shard, string path, Exception exception);

    [LoggerMessage(EventId = 106, Level = LogLevel.Error, Message = "Shard {Shard}: background work failed")]
    public static partial void MaintenanceFailed(ILogger logger, int shard, Exception exception);

    [LoggerMessage(EventId = 107, Level = LogLevel.Information, Message = "Shard {Shard} closed with {Keys} keys")]
    public static partial void ShardClosed(ILogger logger, int shard, long keys);

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Connection {ClientId} failed")]
    public static partial void ConnectionFailed(ILogger logger, long clientId, Exception exception);

    [LoggerMessage(EventId = 111, Level = LogLevel.Information, Message = "UringKv stopped: {Shards} shard(s) closed")]
    public static partial void ServerStopped(ILogger logger, int shards);

    [LoggerMessage(EventId = 112, Level = LogLevel.Warning, Message = "Worker {Worker}: accepting a connection failed")]
    public static partial void AcceptFailed(ILogger logger, int worker, Exception exception);
}
