// Where jobs run, set in the app (TopBar → "jobs"): this machine by default; a URL that is not a queue URL, or a queue
// nobody answers on, is refused with a message naming the field and the setting stays; a reachable queue with a
// password (Debian's redis-server, started here when installed) is taken, shown masked, survives a reload (it is the
// backend's setting, read back through the API), and "this machine" puts it back.
import { expect, test, type Page } from '@playwright/test'
import { url, watchProblems } from './helpers'
import { freePort, haveRedis, startRedis } from '../helpers/queue-pool'

const t = (page: Page) => (id: string) => page.getByTestId(id)

async function choose(page: Page, queue: string | null): Promise<void> {
  const $ = t(page)
  await $('jobs-where').click()
  await expect($('queue-settings')).toBeVisible()
  if (queue === null) await $('queue-local').check()
  else {
    await $('queue-remote').check()
    await $('queue-url').fill(queue)
  }
  await $('queue-apply').click()
}

test('the queue setting: refused URLs name the field, a reachable queue is kept masked across a reload', async ({ page }) => {
  const problems = watchProblems(page)
  const $ = t(page)
  await page.goto(url())
  await expect($('connection-status')).toHaveAttribute('data-status', 'open')
  await expect($('jobs-where')).toHaveText(/this machine/)

  await choose(page, 'http://127.0.0.1:6379')
  await expect($('queue-error')).toHaveText("Queue URL: expected a redis:// or rediss:// URL, got 'http:'")
  const port = await freePort()
  await $('queue-url').fill(`redis://:pw@127.0.0.1:${port}`)
  await $('queue-apply').click()
  await expect($('queue-error')).toHaveText(`Queue URL: queue redis://:***@127.0.0.1:${port}: cannot connect (connect ECONNREFUSED 127.0.0.1:${port})`)
  await page.keyboard.press('Escape')
  await page.mouse.click(5, 5)
  await expect($('jobs-where')).toHaveText(/this machine/)

  if (haveRedis) {
    const redis = await startRedis('e2e pass')
    const rport = new URL(redis.url).port
    try {
      await choose(page, `redis://:e2e%20pass@127.0.0.1:${rport}`)
      await expect($('queue-settings')).toBeHidden()
      await expect($('jobs-where')).toHaveText(`jobs queue 127.0.0.1:${rport}`)
      await expect($('jobs-where')).toHaveAttribute('data-queue', `redis://:***@127.0.0.1:${rport}`)
      // The backend holds it: a fresh page reads it back through the API, still masked.
      await page.reload()
      await expect($('connection-status')).toHaveAttribute('data-status', 'open')
      await expect($('jobs-where')).toHaveAttribute('data-queue', `redis://:***@127.0.0.1:${rport}`)
      await $('jobs-where').click()
      await expect($('queue-current')).toHaveText(`now: redis://:***@127.0.0.1:${rport}`)
      await expect(page.getByText('e2e pass')).toHaveCount(0)
      await $('queue-local').check()
      await $('queue-apply').click()
      await expect($('jobs-where')).toHaveText(/this machine/)
    } finally {
      redis.stop()
    }
  }
  expect(problems).toEqual([])
})
