using UringKv.Protocol;
using UringKv.Storage;

namespace UringKv.Tests;

/// <summary>
/// The value arena: every value reads back exactly while it is stored, whatever was stored and freed around it; freed
/// slots are reused; slot sizes waste little. And a GET's reply keeps its value when the key's slot is reused at once.
/// </summary>
[TestFixture]
public sealed class ValueArenaTests
{
    [Test]
    public void SlotSizes_HoldTheValue_AndWasteAtMostAQuarter()
    {
        int previous = 0;
        for (int length = 1; length <= ValueArena.MaxSlotSize; length++)
        {
            int slot = ValueArena.SlotSize(length);
            Assert.That(slot, Is.GreaterThanOrEqualTo(length).And.GreaterThanOrEqualTo(previous), $"length {length}");
            Assert.That(slot, Is.LessThanOrEqualTo(Math.Max(length + 15, length * 5 / 4)), $"length {length}");
            Assert.That(slot % 16, Is.Zero, $"length {length}");
            previous = slot;
        }

        Assert.That(ValueArena.SlotSize(ValueArena.MaxSlotSize), Is.EqualTo(ValueArena.MaxSlotSize));
        Assert.That(ValueArena.UsesSlot(0), Is.False);
        Assert.That(ValueArena.UsesSlot(ValueArena.MaxSlotSize + 1), Is.False);
    }

    /// <summary>
    /// Random stores, overwrites and frees over a few hundred keys, against a dictionary as the model: after every
    /// step, every stored value reads back as the model has it (a slot handed out twice, or reused while still
    /// stored, would overwrite another key's bytes).
    /// </summary>
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void RandomStoresAndFrees_EveryStoredValueReadsBack(int seed)
    {
        var random = new Random(seed);
        var arena = new ValueArena();
        var model = new Dictionary<int, (byte[] Array, int Offset, byte[] Expected)>();
        const int keys = 300;
        for (int step = 0; step < 6_000; step++)
        {
            int key = random.Next(keys);
            if (model.TryGetValue(key, out var stored))
            {
                arena.Free(stored.Array, stored.Offset, stored.Expected.Length);
                model.Remove(key);
            }

            if (random.Next(4) != 0)
            {
                byte[] value = RandomValue(random);
                byte[] array = arena.Store(value, out int offset);
                model[key] = (array, offset, value);
            }

            if (step % 97 == 0 || step == 5_999)
            {
                foreach ((int k, var entry) in model)
                {
                    Assert.That(entry.Array.AsSpan(entry.Offset, entry.Expected.Length).SequenceEqual(entry.Expected), Is.True, $"key {k} at step {step}");
                }
            }
        }
    }

    [Test]
    public void FreedSlots_AreReused_SoASteadyWorkloadStopsAllocatingSlabs()
    {
        var arena = new ValueArena();
        var random = new Random(7);
        var stored = new (byte[] Array, int Offset, int Length)[1_000];
        for (int i = 0; i < stored.Length; i++)
        {
            byte[] value = new byte[100];
            random.NextBytes(value);
            stored[i] = (arena.Store(value, out int offset), offset, value.Length);
        }

        long slabBytes = arena.SlabBytes;
        Assert.That(slabBytes, Is.GreaterThanOrEqualTo(1_000L * ValueArena.SlotSize(100)));
        for (int round = 0; round < 20; round++)
        {
            for (int i = 0; i < stored.Length; i++)
            {
                arena.Free(stored[i].Array, stored[i].Offset, stored[i].Length);
                byte[] value = new byte[100 + (round % 13)]; // 100 to 112 bytes: the same size class
                stored[i] = (arena.Store(value, out int offset), offset, value.Length);
            }
        }

        Assert.That(arena.SlabBytes, Is.EqualTo(slabBytes));
        arena.Clear();
        Assert.That(arena.SlabBytes, Is.Zero);
    }

    [Test]
    public void EmptyAndLargeValues_GetArraysOfTheirOwn()
    {
        var arena = new ValueArena();
        byte[] large = new byte[ValueArena.MaxSlotSize + 1];
        large[^1] = 42;
        byte[] array = arena.Store(large, out int offset);
        Assert.That(offset, Is.Zero);
        Assert.That(array, Is.EqualTo(large).And.Not.SameAs(large));
        Assert.That(arena.Store([], out _), Is.Empty);
        arena.Free(array, 0, array.Length);
        Assert.That(arena.SlabBytes, Is.Zero);
    }

    [Test]
    public async Task AGetsReply_KeepsItsValue_WhenTheKeyIsOverwrittenBeforeTheReplyIsWritten()
    {
        using var folder = new TempFolder();
        await using var harness = new StoreHarness(folder.Path, valueCacheBytes: 1024 * 1024);
        await harness.OpenAsync();
        string first = new('a', 100);
        string second = new('b', 100);
        await harness.SetAsync("k", first);
        string written = await harness.RunAsync(async () =>
        {
            Reply reply = await harness.Store!.Get("k"u8);
            // The same size class: the new value takes the slot the old one just gave back.
            Reply set = await harness.Store.Set("k"u8, StoreHarness.Bytes(second), SetCondition.Always);
            Assert.That(set.Kind, Is.Not.EqualTo(ReplyKind.Error));
            var writer = new RespWriter();
            reply.WriteTo(writer);
            return System.Text.Encoding.UTF8.GetString(writer.WrittenMemory.Span);
        });

        Assert.That(written, Is.EqualTo($"$100\r\n{first}\r\n"));
        Assert.That(await harness.GetAsync("k"), Is.EqualTo(second));
    }

    private static byte[] RandomValue(Random random)
    {
        int length = random.Next(10) switch
        {
            0 => 0,
            1 => random.Next(ValueArena.MaxSlotSize - 64, ValueArena.MaxSlotSize + 200),
            2 => random.Next(257, 2_000),
            _ => random.Next(1, 257),
        };
        byte[] value = new byte[length];
        random.NextBytes(value);
        return value;
    }
}
