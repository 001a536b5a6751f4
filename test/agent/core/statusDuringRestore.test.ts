import { cleanUpAgents, commands, envelope, releaseStorage, startAgent } from './agentHarness';

afterEach(cleanUpAgents);
afterAll(releaseStorage);

describe('A status answered while a restore runs (the command receiver lets it overtake)', () => {
  it('answers with the host state at once, and the restore then finishes as usual', async () => {
    const agent = await startAgent();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let restoring!: () => void;
    const inRestore = new Promise<void>((resolve) => (restoring = resolve));
    const original = agent.collaborators.restorer.restoreDatabase.bind(agent.collaborators.restorer);
    agent.collaborators.restorer.restoreDatabase = async (request) => {
      restoring();
      await gate;
      return original(request);
    };
    const restore = envelope(commands.restore());
    const status = envelope(commands.status());

    const restoreDone = agent.deliver(restore);
    await inRestore;
    await agent.deliver(status);
    const restoreRepliesWhenStatusAnswered = agent.repliesTo(restore.messageId).map((r) => r.kind);
    release();
    await restoreDone;

    expect(agent.repliesTo(status.messageId).map((r) => r.kind)).toEqual(['accepted', 'succeeded']);
    expect(agent.repliesTo(status.messageId).at(-1)).toMatchObject({ result: { service: { state: 'stopped' }, fenced: false } });
    expect(restoreRepliesWhenStatusAnswered).not.toContain('succeeded');
    expect(agent.repliesTo(restore.messageId).at(-1)).toMatchObject({ kind: 'succeeded' });
  });
});
